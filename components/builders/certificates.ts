/**
 * cert-manager `Certificate` objects (cert-manager.io/v1) for `tls.source: cert-manager`: one for
 * the client-facing listener, one for peer traffic, one for the membership provider. cert-manager
 * writes each into the `kubernetes.io/tls` Secret the pods (or the provider) read, and renews it.
 */
import { type ClusterSettings, clusterIdentity } from "../../model/config/settings";
import type { TlsSecretRole } from "../../model/config/tlsRules";
import { type ClusterIdentity, clientServiceName, peerServiceName } from "../../model/naming";
import { objectMeta } from "./labels";

export const CERTIFICATE_API_VERSION = "cert-manager.io/v1";
export const CERTIFICATE_KIND = "Certificate";
/** The subject the provider's client certificate names; etcd logs it for every rejected call. */
export const PROVIDER_COMMON_NAME = "etcd-k8s-provider";

const SERVER_AND_CLIENT = ["digital signature", "key encipherment", "server auth", "client auth"];
const CLIENT_ONLY = ["digital signature", "key encipherment", "client auth"];

/** A Service's names from the shortest to the fully qualified one. */
const serviceNames = (c: ClusterIdentity, service: string): string[] => [
  service,
  `${service}.${c.namespace}`,
  `${service}.${c.namespace}.svc`,
  `${service}.${c.namespace}.svc.${c.clusterDomain}`,
];

/** Every member's own name (`<pod>.<peer service>...`), with and without the cluster domain. */
const memberNames = (c: ClusterIdentity): string[] => [
  `*.${peerServiceName(c)}.${c.namespace}.svc.${c.clusterDomain}`,
  `*.${peerServiceName(c)}.${c.namespace}.svc`,
];

/** Names the peer listener answers to. */
export const peerDnsNames = (c: ClusterIdentity): string[] => [
  ...memberNames(c),
  ...serviceNames(c, peerServiceName(c)),
];

/** Names the client listener answers to: the client Service, every member, and local access. */
export const serverDnsNames = (c: ClusterIdentity): string[] => [
  ...serviceNames(c, clientServiceName(c)),
  ...peerDnsNames(c),
  "localhost",
];

export const certificateName = (c: ClusterIdentity, role: TlsSecretRole): string =>
  `${c.name}-${role}`;

export interface CertificateObject {
  apiVersion: typeof CERTIFICATE_API_VERSION;
  kind: typeof CERTIFICATE_KIND;
  metadata: ReturnType<typeof objectMeta>;
  spec: Record<string, unknown>;
}

/** The three Certificates, by role; none unless TLS comes from cert-manager. */
export function certificateObjects(
  settings: ClusterSettings,
): Partial<Record<TlsSecretRole, CertificateObject>> {
  const tls = settings.tls;
  if (!tls.enabled || tls.source !== "cert-manager") return {};
  const c = clusterIdentity(settings);
  const certificate = (role: TlsSecretRole, spec: Record<string, unknown>): CertificateObject => ({
    apiVersion: CERTIFICATE_API_VERSION,
    kind: CERTIFICATE_KIND,
    metadata: objectMeta(settings, certificateName(c, role)),
    spec: {
      secretName: tls.secrets[role],
      issuerRef: { name: tls.issuer.name, kind: tls.issuer.kind, group: "cert-manager.io" },
      // A new key at every renewal: a leaked key is useless after the next one.
      privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
      // Absent: cert-manager's defaults (90 days, renewed a third before expiry).
      ...(tls.duration !== undefined ? { duration: tls.duration } : {}),
      ...(tls.renewBefore !== undefined ? { renewBefore: tls.renewBefore } : {}),
      ...spec,
    },
  });
  return {
    server: certificate("server", {
      commonName: `${clientServiceName(c)}.${c.namespace}.svc`,
      dnsNames: serverDnsNames(c),
      ipAddresses: ["127.0.0.1"],
      usages: SERVER_AND_CLIENT,
    }),
    peer: certificate("peer", {
      commonName: `${peerServiceName(c)}.${c.namespace}.svc`,
      dnsNames: peerDnsNames(c),
      usages: SERVER_AND_CLIENT,
    }),
    client: certificate("client", { commonName: PROVIDER_COMMON_NAME, usages: CLIENT_ONLY }),
  };
}
