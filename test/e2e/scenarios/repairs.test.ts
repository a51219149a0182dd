/**
 * Repairs and concurrency on one live cluster (issue 9, part 5, scenarios 3 to 7), through the
 * real program on a real control plane with the process kubelet:
 *
 * - an empty volume under an existing member (the StatefulSet scaled 3 → 2 → 3 by hand with
 *   pvcPolicy Delete): etcd refuses to start etcd-2 on it, nothing re-joins empty, and
 *   `up --refresh` replaces the member;
 * - the join ConfigMap deleted on a live cluster: kept by its finalizer while pods restart; gone
 *   for good, a restarted pod waits until `up --refresh` writes the record again;
 * - a member replaced through `replaceMembers`, and the setting doing nothing afterwards;
 * - a dead (paused) voter removed by a size decrease;
 * - two `up`s at once: the change lease keeps their provider steps apart.
 *
 * All along, a client writes without pause through every member; every acknowledged write must be
 * on every member at the end. During every `up` a monitor checks that no voter is without its pod
 * beyond the step that removes it. Control plane on 127.23.0.1, pods on 127.23.1.x.
 */
import * as k8s from "@kubernetes/client-node";
import * as assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { type ClusterState, withEtcd } from "../clusterState";
import { progressLines } from "../pulumi/output";
import { type RunResult, StackRunError } from "../pulumi/stack";
import type { ClusterWriter } from "../support/clusterWriter";
import { leaseHolder, snapshotObjects } from "../support/clusterObjects";
import { isReady } from "../support/pods";
import { until } from "../support/poll";
import { readProviderLog } from "../support/providerOutputLog";
import { seconds, stamp } from "../support/times";
import { type Watch, watched } from "../support/watchedRun";
import { Scenario } from "./harness";

let scenario: Scenario;
let watch: Watch;
let writer: ClusterWriter;

before(async () => {
  scenario = await Scenario.start({
    name: "repairs",
    host: "127.23.0.1",
    podNetwork: "127.23.1",
    localSnapshots: true,
    logProviderOutput: true,
    env: { ETCD_K8S_UNOBSERVED_WAIT_SECONDS: "5" },
  });
  writer = scenario.startWriter("writer/");
  watch = scenario.watch(writer);
});

after(() => scenario?.stop());

const POLL = { timeoutMs: 120_000, maxIntervalMs: 500 };

const core = () => scenario.kubeConfig.makeApiClient(k8s.CoreV1Api);
const namespace = () => scenario.cluster.namespace;

/** Provider step lines of a run, as the CLI printed them. */
const stepsOf = (result: RunResult): string[] => progressLines(result.log);

function assertStep(result: RunResult, text: string): number {
  const steps = stepsOf(result);
  const at = steps.findIndex((l) => l.includes(text));
  assert.ok(at >= 0, `a step "${text}" in:\n${steps.join("\n")}`);
  return at;
}

const idOf = (state: ClusterState, name: string) => state.members.find((m) => m.name === name)?.id;

async function readPod(name: string): Promise<k8s.V1Pod | undefined> {
  return core()
    .readNamespacedPod({ name, namespace: namespace() })
    .catch((error: { code?: number }) => {
      if (error.code === 404) return undefined;
      throw error;
    });
}

async function scaleByHand(replicas: number): Promise<void> {
  await scenario.kubeConfig
    .makeApiClient(k8s.AppsV1Api)
    .patchNamespacedStatefulSetScale(
      { name: "etcd", namespace: namespace(), body: { spec: { replicas } } },
      k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
    );
}

let created: ClusterState;

test("create with size 3", async () => {
  await watched(watch, "create with size 3", () => scenario.up("create with size 3", { size: 3 }));
  created = await scenario.converged("create with size 3", 3);
});

test("an empty volume under etcd-2 (scaled 3 → 2 → 3 by hand): etcd refuses it; up --refresh replaces the member", async () => {
  const oldId = idOf(created, "etcd-2");
  await scaleByHand(2);
  await until(
    "etcd-2 and its claim to be gone (pvcPolicy Delete)",
    async () => {
      const s = await scenario.state();
      return !s.pods.some((p) => p.name === "etcd-2") &&
        !s.volumes.some((v) => v.name === "data-etcd-2")
        ? s
        : undefined;
    },
    POLL,
  );
  await scaleByHand(3);
  const refused = await until(
    "etcd-2 to exit on its empty volume",
    async () => {
      const message = (await readPod("etcd-2"))?.status?.containerStatuses?.[0]?.lastState
        ?.terminated?.message;
      // etcd logs JSON: the quotes around the name are escaped there.
      return message && /couldn't find local name \\?"etcd-2\\?"/.test(message)
        ? message
        : undefined;
    },
    POLL,
  );
  const line = refused.split("\n").find((l) => l.includes("couldn't find local name")) ?? "";
  console.log(`  etcd-2's last state: ${line.slice(0, 240)}`);
  const state = await scenario.state();
  assert.equal(idOf(state, "etcd-2"), oldId, "the member list still has the old etcd-2");
  assert.equal(
    state.members.find((m) => m.name === "etcd-2")?.role,
    "voter",
    "etcd-2 never re-joined as anything else",
  );
  assert.equal(state.members.length, 3);
  const result = await watched(watch, "up --refresh replaces etcd-2", () =>
    scenario.up("up --refresh replaces etcd-2", {}, { refresh: true }),
  );
  const removed = assertStep(result, "etcd-2: remove member, to replace it");
  assert.ok(removed < assertStep(result, "etcd-2: add as learner"), "removed, then added");
  const after = await scenario.converged("up --refresh replaces etcd-2", 3);
  assert.notEqual(idOf(after, "etcd-2"), oldId, "etcd-2 is a new member");
  assert.equal(idOf(after, "etcd-0"), idOf(created, "etcd-0"));
  assert.equal(idOf(after, "etcd-1"), idOf(created, "etcd-1"));
});

test("the join ConfigMap deleted on a live cluster: kept while needed; gone, up --refresh writes it again", async () => {
  const name = "etcd-join";
  await core().deleteNamespacedConfigMap({ name, namespace: namespace() });
  const doomed = await core().readNamespacedConfigMap({ name, namespace: namespace() });
  assert.ok(doomed.metadata?.deletionTimestamp, "marked for deletion");
  assert.deepEqual(doomed.metadata?.finalizers, ["etcd-k8s.io/cluster-record"]);
  // A pod restarted now still reads its join settings.
  const before1 = (await readPod("etcd-1"))?.metadata?.uid;
  await core().deleteNamespacedPod({ name: "etcd-1", namespace: namespace() });
  await until(
    "a new etcd-1 to run and be ready",
    async () => {
      const pod = await readPod("etcd-1");
      return pod && pod.metadata?.uid !== before1 && isReady(pod) ? pod : undefined;
    },
    POLL,
  );
  // Gone for good: the finalizer removed by hand.
  await core().patchNamespacedConfigMap(
    { name, namespace: namespace(), body: { metadata: { finalizers: null } } },
    k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
  );
  await until(
    "the ConfigMap to be gone",
    async () => ((await scenario.state()).joinConfigMap ? undefined : true),
    POLL,
  );
  const before2 = (await readPod("etcd-2"))?.metadata?.uid;
  await core().deleteNamespacedPod({ name: "etcd-2", namespace: namespace() });
  const waiting = await until(
    "the new etcd-2 to wait for its ConfigMap",
    async () => {
      const pod = await readPod("etcd-2");
      const state = pod?.status?.containerStatuses?.[0]?.state?.waiting;
      return pod?.metadata?.uid !== before2 && state?.reason === "CreateContainerConfigError"
        ? state
        : undefined;
    },
    POLL,
  );
  assert.match(waiting.message ?? "", /configmap "etcd-join" not found/);
  assert.equal(scenario.kubernetes.kubelet.containerPids(namespace(), "etcd-2").etcd, undefined);
  console.log(`  etcd-2 restarted without the ConfigMap: ${waiting.reason}: ${waiting.message}`);
  const result = await watched(watch, "up --refresh writes the record again", () =>
    scenario.up("up --refresh writes the record again", {}, { refresh: true }),
  );
  assertStep(result, "write the missing cluster record again");
  const after = await scenario.converged("up --refresh writes the record again", 3);
  assert.equal(after.joinConfigMap, true);
});

test("a member replaced with replaceMembers; the same setting afterwards changes nothing", async () => {
  const before = await scenario.state();
  const oldId = idOf(before, "etcd-1")!;
  const claimOf = async () =>
    (
      await core().readNamespacedPersistentVolumeClaim({
        name: "data-etcd-1",
        namespace: namespace(),
      })
    ).metadata?.uid;
  const oldClaim = await claimOf();
  const step = `replaceMembers [${oldId}] (etcd-1)`;
  const result = await watched(watch, step, () => scenario.up(step, { replaceMembers: [oldId] }));
  const remove = assertStep(result, "etcd-1: remove member, to replace it");
  const volume = assertStep(result, "etcd-1: replace volume data-etcd-1 with an empty one");
  const add = assertStep(result, "etcd-1: add as learner");
  const promote = assertStep(result, "etcd-1: learner caught up, promote to voter");
  assert.ok(remove < volume && volume < add && add < promote, "in that order");
  const after = await scenario.converged(step, 3);
  assert.notEqual(idOf(after, "etcd-1"), oldId, "etcd-1 has a new member ID");
  assert.notEqual(await claimOf(), oldClaim, "data-etcd-1 is a new claim");
  assert.equal(idOf(after, "etcd-0"), idOf(before, "etcd-0"));
  assert.equal(idOf(after, "etcd-2"), idOf(before, "etcd-2"));
  const objects = await snapshotObjects(scenario.kubeConfig, scenario.cluster);
  const again = await watched(watch, "the same replaceMembers again", () =>
    scenario.up("the same replaceMembers again", { replaceMembers: [oldId] }, { refresh: true }),
  );
  assert.deepEqual(stepsOf(again), [], "no provider step");
  assert.deepEqual(
    await snapshotObjects(scenario.kubeConfig, scenario.cluster),
    objects,
    "no pod, claim or record changed",
  );
  const state = await scenario.converged("the same replaceMembers again", 3);
  assert.deepEqual(
    state.members.map((m) => m.id),
    after.members.map((m) => m.id),
  );
});

test("a dead voter removed by a size decrease: etcd-2 paused, size 2", async () => {
  const before = await scenario.state();
  const deadId = idOf(before, "etcd-2")!;
  scenario.kubernetes.kubelet.pause(namespace(), "etcd-2");
  try {
    // Whoever led before, the two others agree on a leader that answers.
    await until(
      "etcd-0 and etcd-1 to agree on a leader other than etcd-2",
      async () => {
        const leaders = await Promise.all(
          before.pods
            .filter((p) => p.name !== "etcd-2")
            .map((p) => withEtcd(p.podIP!, (c) => c.maintenance.status()).then((s) => s.leader)),
        );
        const id = BigInt(leaders[0]).toString(16);
        return leaders.every((l) => l === leaders[0]) && leaders[0] !== "0" && id !== deadId
          ? id
          : undefined;
      },
      POLL,
    );
    const result = await watched(watch, "3 → 2 with etcd-2 dead", () =>
      scenario.up("3 → 2 with etcd-2 dead", { size: 2 }),
    );
    assertStep(result, "etcd-2: remove member");
  } finally {
    // Its pod is gone once the member was removed; only a failed run leaves it paused.
    if (scenario.kubernetes.kubelet.containerPids(namespace(), "etcd-2").etcd)
      scenario.kubernetes.kubelet.resume(namespace(), "etcd-2");
  }
  const after = await scenario.converged("3 → 2 with etcd-2 dead", 2);
  assert.ok(!after.members.some((m) => m.id === deadId), "etcd-2 is no longer a member");
});

test("two ups at once: one waits for the change lease; their provider steps never interleave", async () => {
  const other = scenario.forkStack("second");
  const startedMs = Date.now();
  const holders: { atMs: number; holder: string }[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const holder = await leaseHolder(scenario.kubeConfig, scenario.cluster).catch(() => "?");
      if (holder !== undefined && holders[holders.length - 1]?.holder !== holder)
        holders.push({ atMs: Date.now(), holder });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  const settled = await watched(watch, "two ups at once (sizes 3 and 4)", async () => {
    const runs = await Promise.allSettled([
      scenario.up("first: 2 → 3", { size: 3 }),
      other.up({ size: 4 }),
    ]);
    sampling = false;
    await sampler;
    return runs;
  });
  // Each provider is known by its pid; a run's step lines are the ones its provider printed. The
  // CLI starts a provider for each run's preview too; those print their port and nothing else.
  const lines = readProviderLog(scenario.providerLog).filter((l) => l.atMs >= startedMs);
  const pids = [...new Set(lines.map((l) => l.pid))].filter((pid) =>
    lines.some((l) => l.pid === pid && !/^\d+$/.test(l.text)),
  );
  assert.equal(pids.length, 2, `two providers acted: ${pids.join(", ")}`);
  const steps = (pid: number) =>
    lines.filter((l) => l.pid === pid && l.text.startsWith("[etcd membership]"));
  const started = (pid: number) => lines.find((l) => l.pid === pid)!.atMs;
  for (const pid of pids)
    console.log(
      `  provider ${pid}: started ${stamp(started(pid))}, ` +
        steps(pid)
          .map((l) => `${stamp(l.atMs)} ${l.text.replace("[etcd membership] ", "")}`)
          .join("; ") || "no step",
    );
  for (const h of holders) console.log(`  lease at ${stamp(h.atMs)}: ${JSON.stringify(h.holder)}`);
  const [firstPid, secondPid] = [...pids].sort(
    (a, b) => (steps(a)[0]?.atMs ?? Infinity) - (steps(b)[0]?.atMs ?? Infinity),
  );
  const firstSteps = steps(firstPid);
  assert.ok(firstSteps.length > 0, "the first run changed the membership");
  const firstEnd = firstSteps[firstSteps.length - 1].atMs;
  assert.ok(started(secondPid) < firstEnd, "the second provider ran while the first was changing");
  for (const line of steps(secondPid))
    assert.ok(line.atMs > firstEnd, `"${line.text}" comes after the first run's last step`);
  // The lease names the first run's provider while it works, the second's (if it ran) only after.
  const holderPids = holders
    .map((h) => /pid (\d+)/.exec(h.holder)?.[1])
    .filter((p): p is string => p !== undefined)
    .map(Number);
  assert.equal(holderPids[0], firstPid, "the first run held the lease first");
  assert.ok(
    holderPids.every((p, i) => i === 0 || p === secondPid),
    `the lease went from ${firstPid} to ${secondPid} only: ${holderPids.join(", ")}`,
  );
  for (const run of settled) {
    if (run.status === "fulfilled") continue;
    const error = run.reason as Error;
    assert.ok(error instanceof StackRunError, String(error));
    assert.match(error.message, /is being changed by .* pid \d+/, "a refusal names the holder");
  }
  console.log(
    `  runs: ${settled.map((r) => (r.status === "fulfilled" ? `done in ${seconds(r.value.ms)}` : "refused")).join(", ")}`,
  );
  // The stack's own config says 3: whoever ran last, a refresh brings the cluster there.
  await watched(watch, "after the two runs: up --refresh at 3", () =>
    scenario.up("after the two runs: up --refresh at 3", { size: 3 }, { refresh: true }),
  );
  await scenario.converged("after the two runs", 3);
});

test("every acknowledged write is on every member", async () => {
  const counts = await scenario.assertWritesKept(writer);
  assert.ok(counts.acknowledged > 0);
});
