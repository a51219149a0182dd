/**
 * A Workload made of real etcd processes on loopback, one per ordinal, standing in for the
 * StatefulSet: a state directory holds the replica count, the join configuration (read at "pod"
 * start, as envFrom would), and per ordinal a volume directory, a pid file and a log. Everything
 * lives in files and the processes are detached, so the workload is stateless between calls and
 * survives the provider process being killed. Serializable by value (Node built-ins only).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CLIENT_PORT, METRICS_PORT, PEER_PORT } from "../../components/naming";
import type { ClientTLS } from "../../providers/etcd/security";
import type { MembershipArgs } from "../../providers/membership/inputs";
import type {
  Endpoint,
  JoinConfig,
  MemberSlot,
  PodState,
  Workload,
} from "../../providers/membership/types";
import { isAlive, lastLoggedFailure, readPid, startDetached, stopProcess } from "./localProcesses";

export interface LocalWorkloadOptions {
  /** State directory of this cluster. */
  root: string;
  etcdBinary: string;
  /** First three octets of the loopback addresses: ordinal k listens on `<prefix>.<k+1>`. */
  ipPrefix: string;
  /**
   * etcd 3.5+ only. Safe for tests: a killed process loses nothing (the page cache survives it),
   * only a machine crash would; it keeps the shared test machine's disk out of the timings.
   */
  unsafeNoFsync?: boolean;
  /** How long a stopped "pod" gets between SIGTERM and SIGKILL. */
  stopGraceMs?: number;
  /** Mutual TLS on the peer and client listeners, with the certificates in this directory. */
  tls?: LocalTlsFiles;
}

/**
 * Where the TLS mode finds its PEM files (see localTls.ts): `ca.crt`, and `<role>.crt` with
 * `<role>.key` for `server` (client listener, named `<member>.<LOCAL_MEMBER_DOMAIN>`), `peer` (the
 * members' loopback addresses) and `client` (the provider).
 */
export interface LocalTlsFiles {
  dir: string;
}

/** The DNS names the members' server certificate is issued for (there is no DNS: only a name). */
export const LOCAL_MEMBER_DOMAIN = "members.etcd.test";

export class LocalWorkload implements Workload {
  constructor(
    readonly options: LocalWorkloadOptions,
    readonly clusterName: string,
  ) {}

  private file(...parts: string[]): string {
    return path.join(this.options.root, ...parts);
  }

  private podDir(ordinal: number): string {
    return this.file("pods", String(ordinal));
  }

  volumeDir(ordinal: number): string {
    return this.file("volumes", String(ordinal));
  }

  ip(ordinal: number): string {
    return `${this.options.ipPrefix}.${ordinal + 1}`;
  }

  describe(): string {
    return `local etcd processes of ${this.clusterName} under ${this.options.root}`;
  }

  private get scheme(): string {
    return this.options.tls ? "https" : "http";
  }

  private tlsFile(name: string): string {
    return path.join(this.options.tls!.dir, name);
  }

  slot(ordinal: number): MemberSlot {
    return {
      ordinal,
      name: `${this.clusterName}-${ordinal}`,
      peerURL: `${this.scheme}://${this.ip(ordinal)}:${PEER_PORT}`,
    };
  }

  /** The name a member's server certificate carries; its address does not appear in it. */
  serverName(ordinal: number): string {
    return `${this.slot(ordinal).name}.${LOCAL_MEMBER_DOMAIN}`;
  }

  async replicas(): Promise<number> {
    try {
      return Number(fs.readFileSync(this.file("replicas"), "utf8"));
    } catch {
      return 0;
    }
  }

  /** Like the StatefulSet controller: stop ordinals >= n, highest first, then start missing ones. */
  async scale(replicas: number): Promise<void> {
    fs.mkdirSync(this.options.root, { recursive: true });
    fs.writeFileSync(this.file("replicas"), String(replicas));
    for (const k of this.podOrdinals().sort((a, b) => b - a))
      if (k >= replicas) {
        await this.stop(k);
        // The pod is deleted, not restarted: its restart count and log go with it.
        fs.rmSync(this.podDir(k), { recursive: true, force: true });
      }
    for (let k = 0; k < replicas; k++) if (this.pid(k) === undefined) this.start(k);
  }

  /** The pid of the live process at an ordinal, if any. */
  pid(ordinal: number): number | undefined {
    const pid = readPid(path.join(this.podDir(ordinal), "pid"));
    return pid !== undefined && isAlive(pid, this.options.etcdBinary) ? pid : undefined;
  }

  /** Ordinals that have a pod directory: running, crashed or waiting. */
  private podOrdinals(): number[] {
    const dir = this.file("pods");
    return fs.existsSync(dir) ? fs.readdirSync(dir).map(Number) : [];
  }

  private runningOrdinals(): number[] {
    return this.podOrdinals().filter((k) => this.pid(k) !== undefined);
  }

  private environment(ordinal: number, join: JoinConfig): Record<string, string> {
    const ip = this.ip(ordinal);
    const scheme = this.scheme;
    const env: Record<string, string> = {
      ETCD_NAME: this.slot(ordinal).name,
      ETCD_DATA_DIR: path.join(this.volumeDir(ordinal), "data"),
      ETCD_LISTEN_PEER_URLS: `${scheme}://${ip}:${PEER_PORT}`,
      ETCD_INITIAL_ADVERTISE_PEER_URLS: `${scheme}://${ip}:${PEER_PORT}`,
      ETCD_LISTEN_CLIENT_URLS: `${scheme}://${ip}:${CLIENT_PORT}`,
      ETCD_ADVERTISE_CLIENT_URLS: `${scheme}://${ip}:${CLIENT_PORT}`,
      ETCD_LISTEN_METRICS_URLS: `http://${ip}:${METRICS_PORT}`,
      ETCD_INITIAL_CLUSTER: join.initialCluster,
      ETCD_INITIAL_CLUSTER_STATE: join.state,
      ETCD_INITIAL_CLUSTER_TOKEN: this.clusterName,
      ETCD_LOGGER: "zap",
      ETCD_LOG_OUTPUTS: "stderr",
    };
    if (this.options.unsafeNoFsync) env.ETCD_UNSAFE_NO_FSYNC = "true";
    if (this.options.tls)
      Object.assign(env, {
        ETCD_CERT_FILE: this.tlsFile("server.crt"),
        ETCD_KEY_FILE: this.tlsFile("server.key"),
        ETCD_TRUSTED_CA_FILE: this.tlsFile("ca.crt"),
        ETCD_CLIENT_CERT_AUTH: "true",
        ETCD_PEER_CERT_FILE: this.tlsFile("peer.crt"),
        ETCD_PEER_KEY_FILE: this.tlsFile("peer.key"),
        ETCD_PEER_TRUSTED_CA_FILE: this.tlsFile("ca.crt"),
        ETCD_PEER_CLIENT_CERT_AUTH: "true",
      });
    return env;
  }

  /** Starts the "pod": creates its volume like a PVC, reads the join configuration like envFrom. */
  private start(ordinal: number): void {
    const join = this.readJoin();
    const dir = this.podDir(ordinal);
    fs.mkdirSync(dir, { recursive: true });
    if (!join) {
      fs.writeFileSync(path.join(dir, "waiting"), "the join configuration does not exist");
      return;
    }
    fs.rmSync(path.join(dir, "waiting"), { force: true });
    fs.mkdirSync(this.volumeDir(ordinal), { recursive: true });
    const starts = this.starts(ordinal);
    const pid = startDetached(
      this.options.etcdBinary,
      this.environment(ordinal, join),
      path.join(dir, "log"),
    );
    fs.writeFileSync(path.join(dir, "pid"), String(pid));
    fs.writeFileSync(path.join(dir, "starts"), String(starts + 1));
  }

  private starts(ordinal: number): number {
    try {
      return Number(fs.readFileSync(path.join(this.podDir(ordinal), "starts"), "utf8"));
    } catch {
      return 0;
    }
  }

  async stop(ordinal: number): Promise<void> {
    const pid = this.pid(ordinal);
    if (pid !== undefined)
      await stopProcess(pid, this.options.etcdBinary, this.options.stopGraceMs ?? 10_000);
    fs.rmSync(path.join(this.podDir(ordinal), "pid"), { force: true });
  }

  async pods(): Promise<PodState[]> {
    const replicas = await this.replicas();
    const ordinals = new Set([...Array(replicas).keys(), ...this.runningOrdinals()]);
    const pods = [...ordinals].sort((a, b) => a - b).map((k) => this.pod(k, k >= replicas));
    return Promise.all(pods);
  }

  private async pod(ordinal: number, doomed: boolean): Promise<PodState> {
    const name = this.slot(ordinal).name;
    const restarts = Math.max(0, this.starts(ordinal) - 1);
    if (this.pid(ordinal) === undefined) {
      const dir = this.podDir(ordinal);
      const waiting = fs.existsSync(path.join(dir, "waiting"))
        ? fs.readFileSync(path.join(dir, "waiting"), "utf8")
        : undefined;
      const lastTermination =
        waiting ??
        (this.starts(ordinal) > 0
          ? (lastLoggedFailure(path.join(dir, "log")) ?? "exited")
          : undefined);
      return { ordinal, name, phase: "waiting", ready: false, restarts, lastTermination };
    }
    const ready = await this.healthy(ordinal);
    return { ordinal, name, phase: doomed ? "terminating" : "running", ready, restarts };
  }

  /** Readiness as the pod's probe sees it: /health on the metrics listener answers 200. */
  private async healthy(ordinal: number): Promise<boolean> {
    try {
      const url = `http://${this.ip(ordinal)}:${METRICS_PORT}/health`;
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      return response.status === 200;
    } catch {
      return false;
    }
  }

  async volumes(): Promise<number[]> {
    try {
      return fs
        .readdirSync(this.file("volumes"))
        .map(Number)
        .sort((a, b) => a - b);
    } catch {
      return [];
    }
  }

  async deleteVolume(ordinal: number): Promise<void> {
    if (this.pid(ordinal) !== undefined)
      throw new Error(`volume of ${this.slot(ordinal).name} is in use by its running process`);
    fs.rmSync(this.volumeDir(ordinal), { recursive: true, force: true });
  }

  private readJoin(): JoinConfig | undefined {
    try {
      return JSON.parse(fs.readFileSync(this.file("join.json"), "utf8")) as JoinConfig;
    } catch {
      return undefined;
    }
  }

  async readJoinConfig(): Promise<JoinConfig | undefined> {
    return this.readJoin();
  }

  async writeJoinConfig(config: JoinConfig): Promise<void> {
    fs.mkdirSync(this.options.root, { recursive: true });
    const temporary = this.file("join.json.tmp");
    fs.writeFileSync(temporary, JSON.stringify(config));
    fs.renameSync(temporary, this.file("join.json"));
  }

  async removeJoinConfig(): Promise<void> {
    fs.rmSync(this.file("join.json"), { force: true });
  }

  async clientEndpoint(ordinal: number): Promise<Endpoint> {
    const url = `${this.scheme}://${this.ip(ordinal)}:${CLIENT_PORT}`;
    const serverName = this.options.tls ? { serverName: this.serverName(ordinal) } : {};
    return { url, ...serverName, close: async () => {} };
  }

  async clientTLS(): Promise<ClientTLS | undefined> {
    if (!this.options.tls) return undefined;
    return {
      ca: fs.readFileSync(this.tlsFile("ca.crt")),
      cert: fs.readFileSync(this.tlsFile("client.crt")),
      key: fs.readFileSync(this.tlsFile("client.key")),
    };
  }

  async close(): Promise<void> {}
}

/** The factory the provider is built with in tests; it captures plain options only. */
export function localWorkloadFactory(
  options: LocalWorkloadOptions,
): (args: MembershipArgs) => Workload {
  return (args) => new LocalWorkload(options, args.clusterName);
}
