/**
 * One end-to-end scenario: a local control plane and process kubelet of its own, one stack of the
 * real program on it, and the checks every step ends with (all pods Ready, the member list equals
 * the pods, the volumes, earlier data readable on every member, no learner left). Prints a
 * `[timing]` line per step. For the scenarios that run under load: a continuous writer, a voter
 * monitor over each run, and the check that no acknowledged write was lost; for those that look
 * at the provider's output or the safety snapshots: a directory of the scenario's own for them.
 */
import * as k8s from "@kubernetes/client-node";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type ClusterIdentity, memberHost } from "../../../model/naming";
import type { ClientTLS } from "../../../providers/etcd/security";
import { type ClusterState, type EtcdTLS, readClusterState } from "../clusterState";
import {
  type LocalKubernetes,
  type LocalKubernetesOptions,
  startLocalKubernetes,
} from "../localKubernetes";
import { DEFAULT_CLUSTER_DOMAIN } from "../../../model/config/settings";
import { DEFAULT_CLUSTER_NAME } from "../../../components/stackConfig";
import { progressLines } from "../pulumi/output";
import {
  PulumiStack,
  type RunResult,
  type StackSettings,
  type UpOptions,
  e2eStackSettings,
} from "../pulumi/stack";
import { DataMarkers, waitSettled } from "../settled";
import { type CertManager, startCertManager } from "../support/certManager";
import { ClusterWriter, type WriterCounts } from "../support/clusterWriter";
import { until } from "../support/poll";
import { providerLogEnv } from "../support/providerOutputLog";
import { seconds } from "../support/times";
import { VoterMonitor } from "../support/voterMonitor";
import type { Watch } from "../support/watchedRun";

/** The scenarios' control plane binds here unless one sets `host`; pod ranges differ per file. */
export const CONTROL_PLANE_HOST = "127.3.0.1";

export interface ScenarioOptions extends Pick<LocalKubernetesOptions, "crashLoopBackoff"> {
  /** Short name for `[timing]` lines and the kubelet's node name. */
  name: string;
  /** Loopback address of its control plane and node (default CONTROL_PLANE_HOST). */
  host?: string;
  /**
   * Its pods' addresses are .1 to .254 of this /24, e.g. "127.24.1": disjoint from those of every
   * other kubelet running at once.
   */
  podNetwork: string;
  /** The namespace of its cluster, `e2e-<name>` by default (DNS names must not collide either). */
  namespace?: string;
  /** Stack config on top of the e2e stack file. */
  settings?: StackSettings;
  /** With `tls.enabled`: the client certificate the scenario's own checks use. */
  clientTLS?: ClientTLS;
  /** Added to the environment of every run (and of the provider process it starts). */
  env?: NodeJS.ProcessEnv;
  /** Every provider a run starts logs its output to `providerLog` (support/providerOutputLog.ts). */
  logProviderOutput?: boolean;
  /** The stack's safety snapshots go to `snapshotDir`. */
  localSnapshots?: boolean;
  /**
   * cert-manager's CRDs are applied and its controller runs against the control plane (log:
   * `certManagerLog`), stopped with the scenario.
   */
  certManager?: boolean;
}

// The scenario's own files, in a directory kept after the run with ETCD_K8S_E2E_KEEP=1 for a look
// after a failure.
const providerLogIn = (filesDir: string) => path.join(filesDir, "provider.log");
const snapshotDirIn = (filesDir: string) => path.join(filesDir, "snapshots");
const certManagerLogIn = (filesDir: string) => path.join(filesDir, "cert-manager.log");

export class Scenario {
  readonly cluster: ClusterIdentity;
  readonly kubeConfig = new k8s.KubeConfig();
  readonly stack: PulumiStack;
  /** How the checks reach the members when they require TLS. */
  readonly etcdTLS: EtcdTLS | undefined;
  /** See the options `logProviderOutput` and `localSnapshots`. */
  readonly providerLog: string;
  readonly snapshotDir: string;
  /** cert-manager's controller log, with the option `certManager`. */
  readonly certManagerLog: string;
  /** One key per step: all must stay readable. */
  private data: DataMarkers;
  /** State directories of `forkStack`, removed with the scenario's own. */
  private readonly forks: string[] = [];
  /** Stopped with the scenario, should a test fail before it stops one itself. */
  private readonly writers: ClusterWriter[] = [];

  private constructor(
    readonly name: string,
    readonly kubernetes: LocalKubernetes,
    private readonly stateDir: string,
    private readonly filesDir: string,
    settings: StackSettings,
    clientTLS: ClientTLS | undefined,
    private readonly env: NodeJS.ProcessEnv,
    private readonly certManager: CertManager | undefined,
  ) {
    this.kubeConfig.loadFromString(kubernetes.controlPlane.kubeconfig);
    this.providerLog = providerLogIn(filesDir);
    this.certManagerLog = certManagerLogIn(filesDir);
    this.snapshotDir = snapshotDirIn(filesDir);
    this.stack = this.makeStack(stateDir, { ...e2eStackSettings(), ...settings }, "");
    const config = this.stack.config;
    this.cluster = {
      name: String(config.clusterName ?? DEFAULT_CLUSTER_NAME),
      namespace: String(config.namespace),
      clusterDomain: String(config.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN),
      ...((config.tls as { enabled?: boolean } | undefined)?.enabled ? { tls: true } : {}),
    };
    this.etcdTLS = clientTLS && { credentials: clientTLS, serverName: memberHost(this.cluster, 0) };
    this.data = new DataMarkers("e2e/", this.etcdTLS);
  }

  static async start(options: ScenarioOptions): Promise<Scenario> {
    const started = Date.now();
    const kubernetes = await startLocalKubernetes({
      host: options.host ?? CONTROL_PLANE_HOST,
      nodeName: `${options.name}-kubelet`,
      podIPRange: { first: `${options.podNetwork}.1`, last: `${options.podNetwork}.254` },
      ...(options.crashLoopBackoff ? { crashLoopBackoff: options.crashLoopBackoff } : {}),
    });
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), `etcd-k8s-${options.name}-stack-`));
    const filesDir = fs.mkdtempSync(path.join(os.tmpdir(), `etcd-k8s-${options.name}-files-`));
    let certManager: CertManager | undefined;
    if (options.certManager) {
      const kubeConfig = new k8s.KubeConfig();
      kubeConfig.loadFromString(kubernetes.controlPlane.kubeconfig);
      try {
        certManager = await startCertManager({
          kubeConfig,
          kubeconfigPath: kubernetes.controlPlane.kubeconfigPath,
          logFile: certManagerLogIn(filesDir),
        });
      } catch (error) {
        await kubernetes.stop();
        throw error;
      }
    }
    console.log(
      `[timing] ${options.name}: control plane and kubelet started in ${seconds(Date.now() - started)}`,
    );
    return new Scenario(
      options.name,
      kubernetes,
      stateDir,
      filesDir,
      {
        ...(options.localSnapshots ? { snapshots: { directory: snapshotDirIn(filesDir) } } : {}),
        ...options.settings,
        namespace: options.namespace ?? `e2e-${options.name}`,
      },
      options.clientTLS,
      {
        ...(options.logProviderOutput ? providerLogEnv(providerLogIn(filesDir)) : {}),
        ...options.env,
      },
      certManager,
    );
  }

  /** A stack of this scenario's program whose state and config live in `dir`. */
  private makeStack(dir: string, base: StackSettings, label: string): PulumiStack {
    return new PulumiStack({
      stack: `e2e-${this.name}`,
      kubeconfigPath: this.kubernetes.controlPlane.kubeconfigPath,
      workDir: dir,
      base,
      onLine: (line: string) => console.log(`  ${label}| ${line}`),
      env: this.env,
    });
  }

  async stop(): Promise<void> {
    for (const writer of this.writers) await writer.stop().catch(() => undefined);
    await this.certManager?.stop().catch(() => undefined);
    try {
      await this.kubernetes.stop();
    } finally {
      for (const dir of [this.stateDir, ...this.forks])
        fs.rmSync(dir, { recursive: true, force: true });
      if (process.env.ETCD_K8S_E2E_KEEP) console.log(`kept ${this.filesDir}`);
      else fs.rmSync(this.filesDir, { recursive: true, force: true });
    }
  }

  /**
   * A second engine on the same stack: the same config and a copy of the state as it is now, in a
   * directory of its own (so two runs at once cannot corrupt each other's checkpoint). Its lines
   * are printed with `label`.
   */
  forkStack(label: string): PulumiStack {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `etcd-k8s-${this.name}-${label}-`));
    this.forks.push(dir);
    fs.cpSync(this.stateDir, dir, { recursive: true });
    return this.makeStack(dir, this.stack.config, label);
  }

  /** `pulumi up` with these settings changed; prints the step's wall time and provider steps. */
  async up(step: string, changes: StackSettings = {}, options: UpOptions = {}): Promise<RunResult> {
    console.log(`--- ${this.name}: ${step}`);
    const result = await this.stack.up(changes, options);
    const steps = progressLines(result.log).length;
    console.log(
      `[timing] ${this.name}: ${step}: up ${seconds(result.ms)} (${steps} provider steps)` +
        (result.killed ? ", killed" : ""),
    );
    return result;
  }

  /** `pulumi preview --diff` with these settings changed (and kept for the next `up`). */
  async preview(step: string, changes: StackSettings = {}): Promise<RunResult> {
    console.log(`--- ${this.name}: ${step}: preview`);
    const result = await this.stack.preview(changes);
    console.log(`[timing] ${this.name}: ${step}: preview ${seconds(result.ms)}`);
    return result;
  }

  async destroy(): Promise<RunResult> {
    console.log(`--- ${this.name}: destroy`);
    const result = await this.stack.destroy();
    console.log(`[timing] ${this.name}: destroy: ${seconds(result.ms)}`);
    return result;
  }

  /**
   * The cluster was destroyed and a new, empty one founded: keys written to the old one are no
   * longer expected; `converged` starts counting again. Returns the old keys and values.
   */
  newCluster(): Map<string, string> {
    const old = this.data.keys();
    this.data = new DataMarkers("e2e/", this.etcdTLS);
    return old;
  }

  state(): Promise<ClusterState> {
    return readClusterState(this.kubeConfig, this.cluster, this.etcdTLS);
  }

  /**
   * After a destroy: waits until the garbage collector has removed the pods after their
   * StatefulSet and the kubelet has stopped them.
   */
  podsGone(): Promise<ClusterState> {
    return until(
      "the pods to be gone after destroy",
      async () => {
        const s = await this.state();
        return s.pods.length === 0 ? s : undefined;
      },
      { timeoutMs: 120_000, maxIntervalMs: 1_000 },
    );
  }

  /** A client that writes through every member from now on, its keys under `prefix`. */
  startWriter(prefix: string): ClusterWriter {
    const writer = new ClusterWriter(this.kubeConfig, this.cluster, prefix, this.etcdTLS);
    this.writers.push(writer);
    return writer;
  }

  /** A voter monitor for `watched` runs; the writer, if any, gets a new client after each. */
  watch(writer?: ClusterWriter): Watch {
    return {
      monitor: new VoterMonitor(this.kubeConfig, this.cluster, this.etcdTLS),
      ...(writer ? { writer } : {}),
      reports: [],
    };
  }

  /**
   * Stops `writer`, then reads every write etcd acknowledged back from each member alone: none
   * may be missing. Prints the writer's counts and returns them.
   */
  async assertWritesKept(writer: ClusterWriter, step?: string): Promise<WriterCounts> {
    const counts = await writer.stop();
    const state = await this.state();
    const label = step === undefined ? "" : `${step}: `;
    for (const pod of state.pods) {
      const missing = await writer.missingOn(pod.podIP!);
      assert.deepEqual(
        missing.slice(0, 10),
        [],
        `${label}every acknowledged write is on ${pod.name}`,
      );
    }
    console.log(
      `[writer] ${this.name}: ${label}${counts.acknowledged} writes acknowledged ` +
        `(${counts.failed} failed, ${counts.clients} clients), all on each of ` +
        `${state.pods.length} members; longest gap ${seconds(counts.longestGapMs)}`,
    );
    return counts;
  }

  /** The first warning or error of a pod's first run, from the kubelet's log of that run. */
  private firstComplaint(pod: string): string {
    const current = this.kubernetes.kubelet.logFile(this.cluster.namespace, pod, "etcd");
    const first = current && path.join(path.dirname(current), "0.log");
    if (!first || !fs.existsSync(first)) return "no log";
    for (const line of fs.readFileSync(first, "utf8").split("\n")) {
      try {
        const entry = JSON.parse(line) as { level?: string; msg?: string; error?: string };
        if (entry.level === "warn" || entry.level === "error" || entry.level === "fatal")
          return `${entry.level}: ${entry.msg}${entry.error ? `: ${entry.error}` : ""}`;
      } catch {
        // Not one of etcd's JSON log lines.
      }
    }
    return "no warning logged";
  }

  /**
   * Waits until the cluster has settled at `size` (see settled.ts), then writes this step's key
   * and checks that every key written so far is readable on every member. `volumes` defaults to
   * one per member.
   */
  async converged(step: string, size: number, volumes = size): Promise<ClusterState> {
    const started = Date.now();
    const state = await waitSettled(this.kubeConfig, this.cluster, size, volumes, this.etcdTLS);
    await this.data.write(state.pods, step);
    await this.data.verify(state.pods);
    const restarts = state.pods.filter((p) => p.restarts > 0);
    console.log(
      `[timing] ${this.name}: ${step}: converged ${seconds(Date.now() - started)} after up; ` +
        `${this.data.count} keys on each of ${state.pods.length} members` +
        (restarts.length > 0
          ? `; restarts: ${restarts.map((p) => `${p.name} ${p.restarts} (first run: ${this.firstComplaint(p.name)})`).join(", ")}`
          : ""),
    );
    return state;
  }
}
