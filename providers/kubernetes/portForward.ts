/**
 * Port-forward endpoints: a local TCP listener whose every connection is tunnelled through the
 * Kubernetes API (`pods/portforward`, a WebSocket the API server relays to the pod's kubelet) to
 * the member's client port. This reaches etcd from wherever kubectl works.
 *
 * The listener (`startForwardServer`) does not know how a connection is tunnelled: it hands each
 * accepted socket to a `Tunnel` and owns the sockets' lifetime, so that `close()` ends them all.
 */
import type { Server, Socket } from "node:net";
import type { KubeConfig } from "@kubernetes/client-node";
import type { Endpoint } from "../membership/types";
import { clientNode, cockatiel, nodeNet, nodeStream } from "./modules";

/** What a tunnel opener resolves to: the WebSocket, or (with retries) a getter of it. */
type Closable = { close(): void };

/** Connects one accepted local socket to its remote end; rejects when the tunnel cannot open. */
export type Tunnel = (socket: Socket) => Promise<void>;

export interface ForwardServer extends Endpoint {
  port: number;
}

/** Listens on `host`:0 and tunnels each connection; connections whose tunnel fails are reset. */
export async function startForwardServer(host: string, tunnel: Tunnel): Promise<ForwardServer> {
  const net = nodeNet();
  const sockets = new Set<Socket>();
  const server: Server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    // A socket error (e.g. reset by the client) only ends that connection.
    socket.on("error", () => socket.destroy());
    tunnel(socket).catch(() => socket.resetAndDestroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  const urlHost = host.includes(":") ? `[${host}]` : host;
  return {
    port,
    url: `http://${urlHost}:${port}`,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

/** Closes a tunnel that opened after its connection was given up. */
function closeTunnel(opened: Closable | (() => Closable | null)): void {
  if (typeof opened === "function") opened()?.close();
  else opened.close();
}

/**
 * A tunnel through `pods/portforward` to `port` of pod `namespace/pod`. The error stream carries
 * the kubelet's refusal (e.g. nothing listens on the port); the connection is then reset.
 */
export function kubePortForwardTunnel(
  kubeConfig: KubeConfig,
  namespace: string,
  pod: string,
  port: number,
  openTimeoutMs = 15_000,
): Tunnel {
  return async (socket) => {
    const k8s = clientNode();
    const { Writable } = nodeStream();
    const refusals = new Writable({
      write(chunk: Buffer, _encoding, done) {
        // client-node strips the stream's 2-byte port header and passes on what is left, maybe nothing.
        if (chunk.length > 0) {
          socket.destroy(new Error(`port-forward to pod ${namespace}/${pod}:${port}: ${chunk}`));
        }
        done();
      },
    });
    const opening = new k8s.PortForward(kubeConfig).portForward(
      namespace,
      pod,
      [port],
      socket,
      refusals,
      socket,
    );
    const { timeout, TimeoutStrategy } = cockatiel();
    let opened: Awaited<typeof opening>;
    try {
      // The WebSocket handshake has no deadline of its own.
      opened = await timeout(openTimeoutMs, TimeoutStrategy.Aggressive).execute(() => opening);
    } catch (error) {
      opening.then(closeTunnel, () => undefined);
      throw error;
    }
    if (typeof opened === "function")
      throw new Error("port-forward: unexpected restartable tunnel");
    // The local client may have given up while the tunnel opened.
    if (socket.destroyed) {
      opened.close();
      return;
    }
    opened.on("close", () => socket.end());
    opened.on("error", (error: Error) => socket.destroy(error));
    socket.on("close", () => opened.close());
  };
}
