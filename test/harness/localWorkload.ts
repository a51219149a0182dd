/**
 * A Workload made of real etcd processes on loopback, one per ordinal, standing in for the
 * StatefulSet: a state directory holds the replica count, the cluster record with its join
 * settings (read at "pod" start, as envFrom would), the change lease, and per ordinal a volume
 * directory, a pid file and a log. Everything lives in files and the processes are detached, so
 * the workload is stateless between calls and survives the provider process being killed.
 * Serializable by value (Node built-ins only). Times are this machine's clock, in ms.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CLIENT_PORT, METRICS_PORT, PEER_PORT, type MemberSlot } from "../../model/naming";
import type { ClientTLS } from "../../providers/etcd/security";
import type { MembershipArgs } from "../../model/membership/inputs";
import type { ChangeLease } from "../../providers/membership/lease";
import type { JoinSettings } from "../../model/joinContract";
import {
  type ClusterRecord,
  type RecordReading,
  joinSettings,
} from "../../providers/membership/record";
import type { Endpoint, PodState, VolumeState, Workload } from "../../providers/membership/types";
import { localChangeLease } from "./localLease";
import { isAlive, lastLoggedFailure, readPid, startDetached, stopProcess } from "./localProcesses";

/** The record file: the record (absent when written raw by a test) and the join settings. */
interface StoredRecord {
  record?: ClusterRecord;
  join: JoinSettings;
  writtenAt: number;
}

/** Raw join settings, as a test writes them to set up a cluster without the provider. */
export type RawJoin = Omit<JoinSettings, "token"> & { token?: string };

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

  private readTime(file: string): number | undefined {
    try {
      return Number(fs.readFileSync(file, "utf8"));
    } catch {
      return undefined;
    }
  }

  async createdAt(): Promise<number | undefined> {
    return this.readTime(this.file("created"));
  }

  /**
   * Deletes the "StatefulSet" as `pulumi destroy` would: every pod stops, the volumes stay (its
   * whenDeleted policy is Retain). The next `scale` creates it anew.
   */
  async deleteWorkload(): Promise<void> {
    for (const k of this.podOrdinals()) await this.stop(k);
    fs.rmSync(this.file("pods"), { recursive: true, force: true });
    fs.rmSync(this.file("replicas"), { force: true });
    fs.rmSync(this.file("created"), { force: true });
  }

  /** Creates the "StatefulSet" as Pulumi would: a new one starts with one replica. */
  async createWorkload(replicas = 1): Promise<void> {
    fs.mkdirSync(this.options.root, { recursive: true });
    fs.writeFileSync(this.file("created"), String(Date.now()));
    await this.scale(replicas);
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
    if (!fs.existsSync(this.file("created")))
      fs.writeFileSync(this.file("created"), String(Date.now()));
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

  private environment(ordinal: number, join: JoinSettings): Record<string, string> {
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
      ETCD_INITIAL_CLUSTER_TOKEN: join.token || this.clusterName,
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

  /** Starts the "pod": creates its volume like a PVC, reads the join settings like envFrom. */
  private start(ordinal: number): void {
    const join = this.readStored()?.join;
    const dir = this.podDir(ordinal);
    if (!fs.existsSync(dir)) {
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, "created"), String(Date.now()));
    }
    if (!join) {
      fs.writeFileSync(path.join(dir, "waiting"), "the join configuration does not exist");
      return;
    }
    fs.rmSync(path.join(dir, "waiting"), { force: true });
    if (!fs.existsSync(this.volumeDir(ordinal))) {
      fs.mkdirSync(this.volumeDir(ordinal), { recursive: true });
      fs.writeFileSync(this.volumeMarker(ordinal), String(Date.now()));
    }
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

  /** SIGSTOP: the member stops answering while its "pod" still runs, as a hung process would. */
  pause(ordinal: number): void {
    const pid = this.pid(ordinal);
    if (pid !== undefined) process.kill(pid, "SIGSTOP");
  }

  resume(ordinal: number): void {
    const pid = this.pid(ordinal);
    if (pid !== undefined) process.kill(pid, "SIGCONT");
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
    const dir = this.podDir(ordinal);
    const createdAt = this.readTime(path.join(dir, "created"));
    const common = {
      ordinal,
      name,
      restarts,
      started: this.starts(ordinal) > 0,
      voterLabel: fs.existsSync(path.join(dir, "voter")),
      ...(createdAt === undefined ? {} : { createdAt }),
    };
    if (this.pid(ordinal) === undefined) {
      const waiting = fs.existsSync(path.join(dir, "waiting"))
        ? fs.readFileSync(path.join(dir, "waiting"), "utf8")
        : undefined;
      const lastTermination =
        waiting ??
        (this.starts(ordinal) > 0
          ? (lastLoggedFailure(path.join(dir, "log")) ?? "exited")
          : undefined);
      return { ...common, phase: "waiting", ready: false, lastTermination };
    }
    const ready = await this.healthy(ordinal);
    return { ...common, phase: doomed ? "terminating" : "running", ready };
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

  /** Where a volume's creation time is kept: beside etcd's data dir, inside the volume. */
  private volumeMarker(ordinal: number): string {
    return path.join(this.volumeDir(ordinal), "created");
  }

  async volumes(): Promise<VolumeState[]> {
    let ordinals: number[];
    try {
      ordinals = fs.readdirSync(this.file("volumes")).map(Number);
    } catch {
      return [];
    }
    return ordinals
      .sort((a, b) => a - b)
      .map((ordinal) => {
        const createdAt = this.readTime(this.volumeMarker(ordinal));
        return { ordinal, ...(createdAt === undefined ? {} : { createdAt }) };
      });
  }

  async deleteVolume(ordinal: number): Promise<void> {
    if (this.pid(ordinal) !== undefined)
      throw new Error(`volume of ${this.slot(ordinal).name} is in use by its running process`);
    fs.rmSync(this.volumeDir(ordinal), { recursive: true, force: true });
  }

  /** Like deleting a pod: it stops, and starts again as a new pod if its ordinal is wanted. */
  async restartPod(ordinal: number): Promise<void> {
    await this.stop(ordinal);
    fs.rmSync(this.podDir(ordinal), { recursive: true, force: true });
    if (ordinal < (await this.replicas())) this.start(ordinal);
  }

  async replaceVolume(ordinal: number): Promise<void> {
    await this.stop(ordinal);
    fs.rmSync(this.podDir(ordinal), { recursive: true, force: true });
    fs.rmSync(this.volumeDir(ordinal), { recursive: true, force: true });
    if (ordinal < (await this.replicas())) this.start(ordinal);
  }

  async labelVoter(ordinal: number, voter: boolean): Promise<void> {
    const dir = this.podDir(ordinal);
    if (!fs.existsSync(dir)) return;
    if (voter) fs.writeFileSync(path.join(dir, "voter"), "true");
    else fs.rmSync(path.join(dir, "voter"), { force: true });
  }

  private readStored(): StoredRecord | undefined {
    try {
      return JSON.parse(fs.readFileSync(this.file("record.json"), "utf8")) as StoredRecord;
    } catch {
      return undefined;
    }
  }

  private store(stored: StoredRecord): void {
    fs.mkdirSync(this.options.root, { recursive: true });
    const temporary = this.file("record.json.tmp");
    fs.writeFileSync(temporary, JSON.stringify(stored));
    fs.renameSync(temporary, this.file("record.json"));
  }

  async readRecord(): Promise<RecordReading | undefined> {
    const stored = this.readStored();
    if (!stored) return undefined;
    return {
      location: this.file("record.json"),
      join: stored.join,
      writtenAt: stored.writtenAt,
      doomed: false,
      ...(stored.record ? { record: stored.record } : {}),
    };
  }

  async writeRecord(record: ClusterRecord): Promise<void> {
    const join = joinSettings(record, (k) => this.slot(k));
    this.store({ record, join, writtenAt: Date.now() });
    await this.startWaiting();
  }

  /** Join settings without a record, as a test sets up a cluster without the provider. */
  async writeJoinConfig(join: RawJoin): Promise<void> {
    this.store({ join: { token: this.clusterName, ...join }, writtenAt: Date.now() });
    await this.startWaiting();
  }

  /** Like the kubelet, which retries a container waiting for its ConfigMap once it exists. */
  private async startWaiting(): Promise<void> {
    const replicas = await this.replicas();
    for (const k of this.podOrdinals())
      if (k < replicas && fs.existsSync(path.join(this.podDir(k), "waiting"))) this.start(k);
  }

  async removeRecord(): Promise<void> {
    fs.rmSync(this.file("record.json"), { force: true });
  }

  lease(): ChangeLease {
    return localChangeLease(this.file("lease"), this.describe());
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
