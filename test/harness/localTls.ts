/**
 * Certificates for the local workload's TLS mode, issued by a CA made in the test: the members'
 * server certificate names each member only by DNS name (so the provider must verify it against
 * `serverName`, not the URL's address), the peer certificate their loopback addresses, and the
 * client certificate the provider.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PROVIDER_COMMON_NAME } from "../../components/builders/certificates";
import { type IssuedCertificate, type TestCA, createTestCA } from "../support/certificates";
import type { ClientTLS } from "../../providers/etcd/security";
import { type LocalCluster, localCluster } from "./localCluster";
import { LOCAL_MEMBER_DOMAIN, type LocalTlsFiles } from "./localWorkload";

/** Ordinals whose addresses the peer certificate covers (the local cluster cleans up to 16). */
const MAX_ORDINAL = 16;

export interface LocalPki {
  ca: TestCA;
  files: LocalTlsFiles;
  client: IssuedCertificate;
}

function write(dir: string, role: string, issued: IssuedCertificate): void {
  fs.writeFileSync(path.join(dir, `${role}.crt`), issued.cert);
  fs.writeFileSync(path.join(dir, `${role}.key`), issued.key, { mode: 0o600 });
}

export async function createLocalPki(dir: string, ipPrefix: string): Promise<LocalPki> {
  fs.mkdirSync(dir, { recursive: true });
  const ca = await createTestCA("etcd-k8s test CA");
  // etcd checks a peer's client certificate against the connection's source address, which on
  // loopback is 127.0.0.1 whatever address the member listens on.
  const addresses = [
    ...Array.from({ length: MAX_ORDINAL + 1 }, (_, k) => `${ipPrefix}.${k + 1}`),
    "127.0.0.1",
  ];
  const server = await ca.issue({
    commonName: "etcd members",
    dnsNames: [`*.${LOCAL_MEMBER_DOMAIN}`],
    usages: ["server", "client"],
  });
  const peer = await ca.issue({
    commonName: "etcd peers",
    ipAddresses: addresses,
    usages: ["server", "client"],
  });
  const client = await ca.issue({ commonName: PROVIDER_COMMON_NAME, usages: ["client"] });
  fs.writeFileSync(path.join(dir, "ca.crt"), ca.cert);
  write(dir, "server", server);
  write(dir, "peer", peer);
  write(dir, "client", client);
  return { ca, files: { dir }, client };
}

export interface LocalTlsCluster {
  pki: LocalPki;
  cluster: LocalCluster;
  /** The provider's client certificate, as the workload hands it over. */
  clientTLS: ClientTLS;
}

/** An etcd 3.5 local cluster in TLS mode, its certificates under `<scratch>/pki`. */
export async function localTlsCluster(
  name: string,
  ipPrefix: string,
  scratch: string,
): Promise<LocalTlsCluster> {
  const pki = await createLocalPki(path.join(scratch, "pki"), ipPrefix);
  const cluster = localCluster(name, ipPrefix, "3.5", pki.files);
  return { pki, cluster, clientTLS: (await cluster.workload.clientTLS())! };
}
