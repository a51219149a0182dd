/**
 * The provider's client certificate, read from its `kubernetes.io/tls` Secret at run time. With
 * cert-manager the Secret appears some seconds after the Certificate, so a missing Secret or key is
 * waited for (bounded backoff) before it is reported.
 */
import type { V1Secret } from "@kubernetes/client-node";
import type { ClientTLS } from "../etcd/security";
import { callKubeOrAbsent } from "./kubeCall";
import type { KubeContext } from "./kubeconfig";
import { type WaitLimits, waitUntil } from "./wait";

export const CLIENT_TLS_KEYS = { cert: "tls.crt", key: "tls.key", ca: "ca.crt" } as const;

/** cert-manager issues within seconds; two minutes also covers a slow webhook or issuer. */
export const CLIENT_TLS_WAIT: WaitLimits = {
  initialDelayMs: 200,
  maxDelayMs: 5_000,
  totalMs: 120_000,
};

/** The certificate, or what is still missing from the Secret. Never echoes the Secret's content. */
export function clientTLSOf(secret: V1Secret | undefined): ClientTLS | string {
  if (!secret) return "the Secret does not exist (yet)";
  const data = secret.data ?? {};
  const missing = Object.values(CLIENT_TLS_KEYS).filter((key) => !data[key]);
  if (missing.length > 0)
    return `the Secret has no ${missing.join(", ")} (a kubernetes.io/tls Secret needs tls.crt, tls.key and ca.crt)`;
  const read = (key: string) => Buffer.from(data[key]!, "base64");
  return {
    cert: read(CLIENT_TLS_KEYS.cert),
    key: read(CLIENT_TLS_KEYS.key),
    ca: read(CLIENT_TLS_KEYS.ca),
  };
}

export async function readClientTLS(
  ctx: KubeContext,
  secretName: string,
  limits: WaitLimits = CLIENT_TLS_WAIT,
): Promise<ClientTLS> {
  const { namespace } = ctx.identity;
  const what = `client certificate Secret ${namespace}/${secretName}`;
  let found: ClientTLS | undefined;
  await waitUntil(
    `${what} (tls.clientSecret)`,
    async () => {
      const secret = await callKubeOrAbsent(`read ${what}`, ctx.server, (o) =>
        ctx.core.readNamespacedSecret({ name: secretName, namespace }, o),
      );
      const result = clientTLSOf(secret);
      if (typeof result === "string") return result;
      found = result;
      return undefined;
    },
    limits,
  );
  return found!;
}
