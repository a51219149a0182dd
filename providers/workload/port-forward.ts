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

/** What the kubelet or API server said when a forward failed, from the WebSocket error event. */
function forwardFailure(error: unknown, timeoutMs: number): string {
  if ((error as { isTaskCancelledError?: unknown } | null)?.isTaskCancelledError === true) {
    return `no answer within ${timeoutMs} ms`;
  }
  const event = error as { message?: unknown; error?: { message?: unknown } } | null;
  const message = event?.error?.message ?? event?.message;
  return typeof message === "string" && message ? message : String(error);
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
    const opened = await new k8s.PortForward(kubeConfig).portForward(
      namespace,
      pod,
      [port],
      socket,
      refusals,
      socket,
    );
    if (typeof opened === "function")
      throw new Error("port-forward: unexpected restartable tunnel");
    opened.on("close", () => socket.end());
    opened.on("error", (error: Error) => socket.destroy(error));
    socket.on("close", () => opened.close());
  };
}

/**
 * Opens and closes one tunnel to check that the API server accepts the forward (pod exists, its
 * kubelet answers), so a refusal is reported once, naming the pod, instead of as dropped connections.
 */
export async function probePortForward(
  kubeConfig: KubeConfig,
  namespace: string,
  pod: string,
  port: number,
  timeoutMs = 15_000,
): Promise<void> {
  const k8s = clientNode();
  const { PassThrough } = nodeStream();
  const { timeout, TimeoutStrategy } = cockatiel();
  const input = new PassThrough();
  const opening = new k8s.PortForward(kubeConfig).portForward(
    namespace,
    pod,
    [port],
    new PassThrough(),
    null,
    input,
  );
  const closeWhenOpen = (opened: Awaited<typeof opening>): void => {
    if (typeof opened !== "function") opened.close();
  };
  try {
    // The WebSocket handshake has no deadline of its own.
    closeWhenOpen(await timeout(timeoutMs, TimeoutStrategy.Aggressive).execute(() => opening));
  } catch (error) {
    opening.then(closeWhenOpen, () => undefined);
    throw new Error(
      `port-forward to pod ${namespace}/${pod} port ${port} refused by the Kubernetes API at ${kubeConfig.getCurrentCluster()?.server}: ${forwardFailure(error, timeoutMs)}`,
      { cause: error },
    );
  } finally {
    input.end();
  }
}
