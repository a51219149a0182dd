/** Test setup around the local workload: a temporary state directory and guaranteed cleanup. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as etcd3 from "etcd3";
import { type EtcdVersion, etcdBinary } from "./etcdBinaries";
import type { ClientTLS } from "../../providers/etcd/security";
import { LocalWorkload, type LocalTlsFiles, type LocalWorkloadOptions } from "./localWorkload";

export interface LocalCluster {
  workload: LocalWorkload;
  options: LocalWorkloadOptions;
  /** Stops every process of this cluster (by its pid) and removes the state directory. */
  dispose(): Promise<void>;
}

/** Highest ordinal any test uses, plus room: cleanup looks at all of them. */
const MAX_ORDINAL = 16;

export function localCluster(
  name: string,
  ipPrefix: string,
  version: EtcdVersion,
  tls?: LocalTlsFiles,
): LocalCluster {
  const options: LocalWorkloadOptions = {
    root: fs.mkdtempSync(path.join(os.tmpdir(), `etcd-${name}-`)),
    etcdBinary: etcdBinary(version),
    ipPrefix,
    unsafeNoFsync: version !== "3.4",
    stopGraceMs: 5_000,
    ...(tls ? { tls } : {}),
  };
  const workload = new LocalWorkload(options, name);
  return {
    workload,
    options,
    async dispose() {
      for (let k = MAX_ORDINAL; k >= 0; k--) await workload.stop(k);
      fs.rmSync(options.root, { recursive: true, force: true });
    },
  };
}

/** TLS for a data client: the certificates, and the name the members' certificate must carry. */
export interface DataClientTLS {
  credentials: Partial<ClientTLS> & Pick<ClientTLS, "ca">;
  serverName?: string;
}

/** A data client over the given client URLs, with a deadline on every call. */
export function dataClient(urls: string[], tls?: DataClientTLS): etcd3.Etcd3 {
  const { ca, cert, key } = tls?.credentials ?? {};
  return new etcd3.Etcd3({
    hosts: urls,
    ...(ca ? { credentials: { rootCertificate: ca, certChain: cert, privateKey: key } } : {}),
    ...(tls?.serverName
      ? { grpcOptions: { "grpc.ssl_target_name_override": tls.serverName } }
      : {}),
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + 5_000 }),
  });
}
