/**
 * The local listener behind port-forward endpoints. The Kubernetes tunnel itself needs a kubelet
 * streaming server, which the process kubelet of our end-to-end control plane does not have (see
 * the port-forward test in kube-api.test.ts); here each accepted connection is tunnelled by plain
 * TCP to a real echo server, which exercises exactly the listener's part: accepting, relaying both
 * ways, resetting connections whose tunnel fails, and closing everything on `close()`.
 */
import * as assert from "node:assert/strict";
import { connect, createServer, type Socket } from "node:net";
import { once } from "node:events";
import { after, before, describe, it } from "node:test";
import { startForwardServer, type Tunnel } from "../../providers/kubernetes/portForward";

const ECHO_HOST = "127.2.0.5";
const FORWARD_HOST = "127.2.0.6";

const echoSockets = new Set<Socket>();
const echo = createServer((socket) => {
  echoSockets.add(socket);
  socket.on("close", () => echoSockets.delete(socket));
  socket.pipe(socket);
});
let echoPort = 0;

const tcpTunnel: Tunnel = async (socket) => {
  const remote = connect(echoPort, ECHO_HOST);
  await once(remote, "connect");
  socket.pipe(remote).pipe(socket);
  remote.on("close", () => socket.destroy());
  socket.on("close", () => remote.destroy());
};

async function roundTrip(port: number, text: string): Promise<{ socket: Socket; reply: string }> {
  const socket = connect(port, FORWARD_HOST);
  await once(socket, "connect");
  socket.write(text);
  const [reply] = (await once(socket, "data")) as [Buffer];
  return { socket, reply: reply.toString() };
}

describe("port-forward endpoint listener", () => {
  before(async () => {
    await new Promise<void>((resolve) => echo.listen(0, ECHO_HOST, resolve));
    echoPort = (echo.address() as { port: number }).port;
  });
  after(async () => {
    for (const socket of echoSockets) socket.destroy();
    await new Promise((resolve) => echo.close(resolve));
  });

  it("relays concurrent connections both ways, then close() ends them and stops listening", async () => {
    const server = await startForwardServer(FORWARD_HOST, tcpTunnel);
    try {
      assert.equal(server.url, `http://${FORWARD_HOST}:${server.port}`);
      const first = await roundTrip(server.port, "put foo");
      const second = await roundTrip(server.port, "get foo");
      assert.equal(first.reply, "put foo");
      assert.equal(second.reply, "get foo");
      const closed = Promise.all([once(first.socket, "close"), once(second.socket, "close")]);
      await server.close();
      await closed;
      const late = connect(server.port, FORWARD_HOST);
      const [error] = (await once(late, "error")) as [NodeJS.ErrnoException];
      assert.equal(error.code, "ECONNREFUSED");
    } finally {
      await server.close().catch(() => undefined);
    }
  });

  it("a connection whose tunnel cannot open is reset, and the listener keeps serving", async () => {
    let refuse = true;
    const server = await startForwardServer(FORWARD_HOST, async (socket) => {
      if (refuse) throw new Error("forward refused");
      await tcpTunnel(socket);
    });
    try {
      const refused = connect(server.port, FORWARD_HOST);
      const [error] = (await once(refused, "error")) as [NodeJS.ErrnoException];
      assert.equal(error.code, "ECONNRESET");
      refuse = false;
      const { socket, reply } = await roundTrip(server.port, "after refusal");
      assert.equal(reply, "after refusal");
      socket.destroy();
    } finally {
      await server.close();
    }
  });
});
