/**
 * When a cluster has settled at a size, judged from the outside (see clusterState.ts): the
 * StatefulSet at that size and rolled out, every pod Ready, the etcd member list equal to the pods
 * (by peer URL), every member a healthy voter, one leader, the expected volumes; and every key
 * written earlier readable on every member.
 */
import type * as k8s from "@kubernetes/client-node";
import * as assert from "node:assert/strict";
import { type ClusterIdentity, peerURL, podName } from "../../model/naming";
import {
  type ClusterState,
  type EtcdTLS,
  type PodRow,
  readClusterState,
  withEtcd,
} from "./clusterState";
import { until } from "./support/poll";

/** After `up` returns, a pod's startup and readiness probes and a rollout may still be finishing. */
export const SETTLE = { timeoutMs: 180_000, maxIntervalMs: 1_000 };

/** Everything that differs from a settled cluster of `size` members with `volumes` volumes. */
export function settledProblems(
  s: ClusterState,
  cluster: ClusterIdentity,
  size: number,
  volumes = size,
): string[] {
  const problems: string[] = [];
  const names = Array.from({ length: size }, (_, k) => podName(cluster, k));
  if (s.replicas !== size) problems.push(`replicas ${s.replicas}`);
  const pods = s.pods.map((p) => p.name);
  if (pods.join() !== names.join()) problems.push(`pods ${pods.join(", ") || "none"}`);
  const unready = s.pods.filter((p) => !p.ready).map((p) => `${p.name} ${p.phase}`);
  if (unready.length > 0) problems.push(`not ready: ${unready.join(", ")}`);
  if (!s.rolledOut) problems.push("rollout not finished");
  if (s.membersError) problems.push(`member list: ${s.membersError}`);
  const members = s.members.map((m) => `${m.name}=${m.peerURL}`);
  const wanted = names.map((n, k) => `${n}=${peerURL(cluster, k)}`);
  if (!s.membersError && members.join() !== wanted.join())
    problems.push(`members ${members.join(", ")}`);
  const learners = s.members.filter((m) => m.role === "learner").map((m) => m.name);
  if (learners.length > 0) problems.push(`learners ${learners.join(", ")}`);
  const sick = s.members.filter((m) => !m.healthy).map((m) => m.name);
  if (sick.length > 0) problems.push(`unhealthy ${sick.join(", ")}`);
  if (!s.membersError && s.members.filter((m) => m.leader).length !== 1)
    problems.push("no single leader");
  if (s.volumes.length !== volumes)
    problems.push(`volumes ${s.volumes.map((v) => v.name).join(", ") || "none"}`);
  return problems;
}

/** Polls until the cluster has settled at `size`; the timeout error lists what still differs. */
export function waitSettled(
  config: k8s.KubeConfig,
  cluster: ClusterIdentity,
  size: number,
  volumes = size,
  tls?: EtcdTLS,
): Promise<ClusterState> {
  return until(
    `the cluster to settle at ${size} members`,
    async () => {
      const state = await readClusterState(config, cluster, tls);
      const problems = settledProblems(state, cluster, size, volumes);
      if (problems.length > 0) throw new Error(problems.join("; "));
      return state;
    },
    SETTLE,
  );
}

/** One key per step, written through the whole cluster and read back from each member alone. */
export class DataMarkers {
  private readonly written = new Map<string, string>();

  constructor(
    private readonly prefix: string,
    private readonly tls?: EtcdTLS,
  ) {}

  get count(): number {
    return this.written.size;
  }

  /** The keys written so far, with their values. */
  keys(): Map<string, string> {
    return new Map(this.written);
  }

  async write(pods: PodRow[], value: string): Promise<void> {
    const key = `${this.prefix}${this.written.size}`;
    await withEtcd(
      pods.map((p) => p.podIP!),
      (c) => c.put(key).value(value).exec(),
      this.tls,
    );
    this.written.set(key, value);
  }

  /** Every key written so far, on every member, by member-local (serializable) reads. */
  async verify(pods: PodRow[]): Promise<void> {
    const expected = Object.fromEntries(this.written);
    for (const pod of pods) {
      await until(
        `every key written so far on ${pod.name}`,
        async () => {
          const seen = await withEtcd(
            pod.podIP!,
            (c) => c.getAll().prefix(this.prefix).serializable(true).strings(),
            this.tls,
          );
          assert.deepEqual(seen, expected);
          return true;
        },
        SETTLE,
      );
    }
  }
}
