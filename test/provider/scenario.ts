/**
 * Shared steps of the provider scenarios on local etcd processes: scale with the reconciler (and
 * print each step's time), write data, and check the end state every scenario must reach.
 */
import * as assert from "node:assert/strict";
import { EtcdAdmin } from "../../providers/etcd/admin";
import type { EtcdMemberList } from "../../providers/etcd/types";
import type { Goal } from "../../providers/membership/observation";
import {
  type ReconcileOptions,
  type ReconcileResult,
  type StepRecord,
  reconcile,
} from "../../providers/membership/reconciler";
import type { VolumePolicy } from "../../model/config/rules";
import { type LocalCluster, dataClient } from "../harness/localCluster";

export const TEST_RECONCILE: Partial<ReconcileOptions> = {
  waitBudgetMs: 60_000,
  unobservedBudgetMs: 10_000,
  log: () => {},
};

/** Who manages the test clusters, as a program's project/stack/resource would. */
export const TEST_OWNER = "etcd-k8s/test/etcd";

let tokens = 0;

/** A goal as the provider builds it: a fresh token per run, nothing to replace. */
export function testGoal(
  size: number,
  volumePolicy: VolumePolicy,
  extra: Partial<Goal> = {},
): Goal {
  tokens += 1;
  return {
    size,
    volumePolicy,
    owner: TEST_OWNER,
    replace: [],
    token: `test-${process.pid}-${Date.now()}-${tokens}`,
    ...extra,
  };
}

export function printTimings(label: string, steps: StepRecord[]): void {
  const total = steps.reduce((sum, s) => sum + s.ms, 0);
  for (const s of steps) console.log(`[timing] ${label}: ${s.description}: ${s.ms} ms`);
  console.log(`[timing] ${label}: ${steps.length} steps, ${total} ms in all`);
}

export async function scaleTo(
  c: LocalCluster,
  size: number,
  volumePolicy: VolumePolicy,
  extra: Partial<Goal> & Partial<ReconcileOptions> & { label?: string } = {},
): Promise<ReconcileResult> {
  const { label, owner, replace, token, ...options } = extra;
  const before = await c.workload.replicas();
  const goal = testGoal(size, volumePolicy, {
    ...(owner ? { owner } : {}),
    ...(replace ? { replace } : {}),
    ...(token ? { token } : {}),
  });
  const result = await reconcile(c.workload, goal, { ...TEST_RECONCILE, ...options });
  printTimings(label ?? `${c.workload.clusterName} ${before}→${size}`, result.steps);
  return result;
}

export const clientURL = (c: LocalCluster, k: number) => `http://${c.workload.ip(k)}:2379`;

const ordinals = (n: number) => Array.from({ length: n }, (_, k) => k);

/** Writes `count` keys under `prefix` through every member's endpoint; records them in `data`. */
export async function writeData(
  c: LocalCluster,
  size: number,
  data: Map<string, string>,
  prefix: string,
  count = 20,
): Promise<void> {
  const client = dataClient(ordinals(size).map((k) => clientURL(c, k)));
  try {
    for (let i = 0; i < count; i++) {
      const key = `${prefix}/${String(i).padStart(4, "0")}`;
      await client.put(key).value(`${prefix}-value-${i}`);
      data.set(key, `${prefix}-value-${i}`);
    }
  } finally {
    client.close();
  }
}

/**
 * The end state of every scenario: members are exactly etcd-0..size-1 at their slots, all voters,
 * all started and healthy with one leader, pods exactly those of the members, volumes those of the
 * members (under Retain also removed members' volumes, kept until their ordinal is re-added), and
 * every key written earlier readable from every member.
 */
/**
 * The cluster record matches the live cluster: its ID, every member's ID at its ordinal, no
 * learner joining, and join settings that let no member start on an empty volume.
 */
export async function assertRecorded(c: LocalCluster, list: EtcdMemberList): Promise<void> {
  const reading = await c.workload.readRecord();
  assert.ok(reading?.record, "the cluster record exists");
  const byOrdinal: Record<number, string> = {};
  for (const m of list.members) byOrdinal[Number(m.name.split("-").at(-1))] = m.id;
  assert.deepEqual(
    {
      clusterId: reading.record.clusterId,
      members: reading.record.members,
      joining: reading.record.joining,
    },
    { clusterId: list.clusterId, members: byOrdinal, joining: undefined },
    "the record names the live cluster and its members",
  );
  assert.equal(reading.join.state, "existing");
  for (const entry of reading.join.initialCluster.split(","))
    assert.match(entry, /^[^=]+\.started=/, "no member may start on an empty volume");
}

export async function assertConverged(
  c: LocalCluster,
  size: number,
  data: Map<string, string>,
  policy: VolumePolicy = "Delete",
  { recorded = true }: { recorded?: boolean } = {},
): Promise<void> {
  const admin = new EtcdAdmin();
  try {
    const list = await admin.memberList(clientURL(c, 0));
    const expected = ordinals(size).map((k) => c.workload.slot(k));
    assert.deepEqual(
      list.members
        .map((m) => ({ name: m.name, peerURL: m.peerURLs[0] }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      expected.map((s) => ({ name: s.name, peerURL: s.peerURL })),
      "member list equals the wanted set",
    );
    assert.deepEqual(
      list.members.filter((m) => m.isLearner),
      [],
      "no learner left",
    );
    const statuses = await Promise.all(ordinals(size).map((k) => admin.status(clientURL(c, k))));
    const leaders = new Set(statuses.map((s) => s.leader));
    assert.equal(leaders.size, 1, "every member sees the same leader");
    assert.ok(
      list.members.some((m) => m.id === [...leaders][0]),
      "the leader is a member",
    );
    const pods = await c.workload.pods();
    assert.deepEqual(
      pods.map((p) => [p.ordinal, p.phase, p.ready, p.voterLabel]),
      ordinals(size).map((k) => [k, "running", true, true]),
      "every member's pod runs, is ready (/health 200) and carries the voter label",
    );
    assert.equal(await c.workload.replicas(), size);
    const volumes = (await c.workload.volumes()).map((v) => v.ordinal);
    const kept = policy === "Retain" ? volumes.filter((k) => k >= size) : [];
    assert.deepEqual(volumes, [...ordinals(size), ...kept], "volumes are exactly the members'");
    if (recorded) await assertRecorded(c, list);
    for (const k of ordinals(size)) {
      const client = dataClient([clientURL(c, k)]);
      try {
        const stored = await client.getAll().prefix("").strings();
        const missing = [...data].filter(([key, value]) => stored[key] !== value);
        assert.deepEqual(
          missing,
          [],
          `every key written earlier is readable from ${c.workload.slot(k).name}`,
        );
      } finally {
        client.close();
      }
    }
  } finally {
    admin.close();
  }
}
