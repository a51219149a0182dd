/**
 * The files that give the control plane its identities: a static token for an admin user in
 * system:masters (which bypasses RBAC, so the controller manager needs no per-controller
 * credentials), the service-account signing key pair, and a kubeconfig for that admin.
 */
import * as crypto from "node:crypto";

export const ADMIN_USER = "e2e-admin";

export function newToken(): string {
  return crypto.randomBytes(24).toString("hex");
}

/** kube-apiserver --token-auth-file content: token,user,uid,"group1,group2". */
export function tokenAuthFile(token: string): string {
  return `${token},${ADMIN_USER},${ADMIN_USER},"system:masters"\n`;
}

/** A PEM RSA key pair for signing and verifying service-account tokens. */
export function serviceAccountKeys(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = crypto.generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

/**
 * A kubeconfig (JSON is valid YAML) for the admin token. TLS is not verified: the API server
 * self-signs its serving certificate into its cert dir at start.
 */
export function kubeconfigText(server: string, token: string, name = "etcd-k8s-e2e"): string {
  return (
    JSON.stringify(
      {
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name, cluster: { server, "insecure-skip-tls-verify": true } }],
        users: [{ name: ADMIN_USER, user: { token } }],
        contexts: [{ name, context: { cluster: name, user: ADMIN_USER, namespace: "default" } }],
        "current-context": name,
      },
      null,
      2,
    ) + "\n"
  );
}
