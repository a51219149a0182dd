/**
 * One end-to-end scenario: a local control plane and process kubelet of its own, one stack of the
 * real program on it, and the checks every step ends with (all pods Ready, the member list equals
 * the pods, the volumes, earlier data readable on every member, no learner left). Prints a
 * `[timing]` line per step.
 */
import * as k8s from "@kubernetes/client-node";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type ClusterIdentity, peerURL, podName } from "../../../components/naming";
import { type ClusterState, readClusterState, withEtcd } from "../clusterState";
import {
  type LocalKubernetes,
  type LocalKubernetesOptions,
  startLocalKubernetes,
} from "../localKubernetes";
import { DEFAULTS } from "../../../components/config/settings";
import { DEFAULT_CLUSTER_NAME } from "../../../components/config/stackConfig";
import { type RunResult, Stack, type StackSettings, e2eStackSettings } from "../program/stack";
import { until } from "../support/poll";

/** Every scenario's control plane binds here; pod ranges differ per scenario file. */
export const CONTROL_PLANE_HOST = "127.3.0.1";
const DATA_PREFIX = "e2e/";
/** After `up` returns, readiness probes (every 5 s) and a rollout may still be finishing. */
const CONVERGE = { timeoutMs: 180_000, maxIntervalMs: 1_000 };

export interface ScenarioOptions extends Pick<
  LocalKubernetesOptions,
  "podIPRange" | "crashLoopBackoff"
> {
  /** Short name for `[timing]` lines and the kubelet's node name. */
  name: string;
  /** The namespace of its cluster (DNS names must not collide with other kubelets running). */
  namespace: string;
  /** Stack config on top of the e2e stack file. */
  settings?: StackSettings;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export class Scenario {
  readonly cluster: ClusterIdentity;
  readonly kubeConfig = new k8s.KubeConfig();
  readonly stack: Stack;
  /** Keys written so far (one per step) and their values: all must stay readable. */
  private readonly data = new Map<string, string>();

  private constructor(
    readonly name: string,
    readonly kubernetes: LocalKubernetes,
    private readonly stateDir: string,
    settings: StackSettings,
  ) {
    this.kubeConfig.loadFromString(kubernetes.controlPlane.kubeconfig);
    this.stack = new Stack({
      stack: "e2e",
      kubeconfigPath: kubernetes.controlPlane.kubeconfigPath,
      stateDir,
      base: { ...e2eStackSettings(), ...settings },
      onLine: (line) => console.log(`  | ${line}`),
    });
    const config = this.stack.config;
    this.cluster = {
      name: String(config.clusterName ?? DEFAULT_CLUSTER_NAME),
      namespace: String(config.namespace),
      clusterDomain: String(config.clusterDomain ?? DEFAULTS.clusterDomain),
    };
  }

  static async start(options: ScenarioOptions): Promise<Scenario> {
    const started = Date.now();
    const kubernetes = await startLocalKubernetes({
      host: CONTROL_PLANE_HOST,
      nodeName: `${options.name}-kubelet`,
      podIPRange: options.podIPRange,
      ...(options.crashLoopBackoff ? { crashLoopBackoff: options.crashLoopBackoff } : {}),
    });
    const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), `etcd-k8s-${options.name}-stack-`));
    console.log(
      `[timing] ${options.name}: control plane and kubelet started in ${seconds(Date.now() - started)}`,
    );
    return new Scenario(options.name, kubernetes, stateDir, {
      ...options.settings,
      namespace: options.namespace,
    });
  }

  async stop(): Promise<void> {
    try {
      await this.kubernetes.stop();
    } finally {
      fs.rmSync(this.stateDir, { recursive: true, force: true });
    }
  }

  /** `pulumi up` with these settings changed; prints the step's wall time and provider steps. */
  async up(step: string, changes: StackSettings = {}): Promise<RunResult> {
    console.log(`--- ${this.name}: ${step}`);
    const result = await this.stack.up(changes);
    const steps = result.log.filter((l) => l.includes("[etcd membership]")).length;
    console.log(
      `[timing] ${this.name}: ${step}: up ${seconds(result.ms)} (${steps} provider steps)`,
    );
    return result;
  }

  async destroy(): Promise<RunResult> {
    console.log(`--- ${this.name}: destroy`);
    const result = await this.stack.destroy();
    console.log(`[timing] ${this.name}: destroy: ${seconds(result.ms)}`);
    return result;
  }

  state(): Promise<ClusterState> {
    return readClusterState(this.kubeConfig, this.cluster);
  }

  /**
   * Waits until the cluster is what `size` asks for, then writes this step's key and checks that
   * every key written so far is readable on every member. `volumes` defaults to one per member.
   */
  async converged(step: string, size: number, volumes = size): Promise<ClusterState> {
    const started = Date.now();
    const state = await until(
      `${this.name}: ${step}: the cluster to converge at ${size} members`,
      async () => {
        const s = await this.state();
        const problems = this.problems(s, size, volumes);
        if (problems.length > 0) throw new Error(problems.join("; "));
        return s;
      },
      CONVERGE,
    );
    const ips = state.pods.map((p) => p.podIP!);
    const key = `${DATA_PREFIX}${this.data.size}`;
    await withEtcd(ips, (c) => c.put(key).value(step).exec());
    this.data.set(key, step);
    const expected = Object.fromEntries(this.data);
    for (const pod of state.pods) {
      await until(
        `${this.name}: ${step}: every key written so far on ${pod.name}`,
        async () => {
          const seen = await withEtcd(pod.podIP!, (c) =>
            c.getAll().prefix(DATA_PREFIX).serializable(true).strings(),
          );
          assert.deepEqual(seen, expected);
          return true;
        },
        CONVERGE,
      );
    }
    const restarts = state.pods.filter((p) => p.restarts > 0);
    console.log(
      `[timing] ${this.name}: ${step}: converged ${seconds(Date.now() - started)} after up; ` +
        `${this.data.size} keys on each of ${state.pods.length} members` +
        (restarts.length > 0
          ? `; restarts: ${restarts.map((p) => `${p.name} ${p.restarts} (${p.lastExit})`).join(", ")}`
          : ""),
    );
    return state;
  }

  /** Everything that differs from a settled cluster of `size` members. */
  private problems(s: ClusterState, size: number, volumes: number): string[] {
    const problems: string[] = [];
    const names = Array.from({ length: size }, (_, k) => podName(this.cluster, k));
    if (s.replicas !== size) problems.push(`replicas ${s.replicas}`);
    const pods = s.pods.map((p) => p.name);
    if (pods.join() !== names.join()) problems.push(`pods ${pods.join(", ") || "none"}`);
    const unready = s.pods.filter((p) => !p.ready).map((p) => `${p.name} ${p.phase}`);
    if (unready.length > 0) problems.push(`not ready: ${unready.join(", ")}`);
    if (!s.rolledOut) problems.push("rollout not finished");
    if (s.membersError) problems.push(`member list: ${s.membersError}`);
    const members = s.members.map((m) => `${m.name}=${m.peerURL}`).sort();
    const wanted = names.map((n, k) => `${n}=${peerURL(this.cluster, k)}`);
    if (!s.membersError && members.join() !== wanted.join())
      problems.push(`members ${members.join(", ")}`);
    const learners = s.members.filter((m) => m.role === "learner").map((m) => m.name);
    if (learners.length > 0) problems.push(`learners ${learners.join(", ")}`);
    const sick = s.members.filter((m) => !m.healthy).map((m) => m.name);
    if (sick.length > 0) problems.push(`unhealthy ${sick.join(", ")}`);
    if (s.members.filter((m) => m.leader).length !== 1 && !s.membersError)
      problems.push("no single leader");
    if (s.volumes.length !== volumes)
      problems.push(`volumes ${s.volumes.map((v) => v.name).join(", ") || "none"}`);
    return problems;
  }
}
