/**
 * Checks, before a port-forward endpoint is handed out, that the API server grants the forward:
 * the pod exists, the caller may create `pods/portforward`, and the API server reaches the pod's
 * kubelet. It asks for the WebSocket upgrade the tunnel uses and hangs up once it is granted.
 * A refusal is reported once, naming the pod and with the API server's own reason (which the
 * WebSocket client of client-node does not pass on: it reports the status code only).
 */
import type { RequestOptions } from "node:https";
import { statusText } from "./kubeCall";
import type { KubeContext } from "./kubeconfig";
import { nodeCrypto, nodeHttp, nodeHttps } from "./modules";

/** Resolves to undefined once the upgrade is granted, or to what refused it. */
async function upgradeRefusal(
  url: URL,
  options: RequestOptions,
  timeoutMs: number,
): Promise<string | undefined> {
  const transport = url.protocol === "https:" ? nodeHttps() : nodeHttp();
  const request = transport.request(url, { ...options, signal: AbortSignal.timeout(timeoutMs) });
  return new Promise((resolve) => {
    request.on("upgrade", (_response, socket) => {
      socket.destroy();
      resolve(undefined);
    });
    request.on("response", (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const reason = statusText(Buffer.concat(chunks).toString("utf8"));
        resolve(`HTTP ${response.statusCode}${reason ? ` ${reason}` : ""}`);
      });
      response.on("error", (error) => resolve(error.message));
    });
    request.on("error", (error: NodeJS.ErrnoException) => {
      resolve(
        error.name === "AbortError"
          ? `no answer within ${timeoutMs} ms`
          : `${error.message}${error.code ? ` (${error.code})` : ""}`,
      );
    });
    request.end();
  });
}

export async function probePortForward(
  ctx: KubeContext,
  pod: string,
  port: number,
  timeoutMs = 15_000,
): Promise<void> {
  const { namespace } = ctx.identity;
  const url = new URL(
    `${ctx.server}/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(pod)}/portforward?ports=${port}`,
  );
  const options: RequestOptions = {
    method: "GET",
    headers: {
      Connection: "Upgrade",
      Upgrade: "websocket",
      "Sec-WebSocket-Version": "13",
      "Sec-WebSocket-Key": nodeCrypto().randomBytes(16).toString("base64"),
      "Sec-WebSocket-Protocol": "v4.channel.k8s.io",
    },
  };
  // Credentials, TLS settings and proxy agent exactly as client-node's own WebSocket uses them.
  await ctx.kubeConfig.applyToHTTPSOptions(options);
  const refusal = await upgradeRefusal(url, options, timeoutMs);
  if (refusal !== undefined) {
    throw new Error(
      `port-forward to pod ${namespace}/${pod} port ${port} refused by the Kubernetes API at ${ctx.server}: ${refusal}`,
    );
  }
}
