/**
 * The failure an earlier operator hit, reproduced on purpose: with pvcPolicy Retain, scale 3 → 1
 * keeping the volumes, then bring member 1 back on its old volume by scaling the StatefulSet
 * directly, around the provider. etcd refuses to start a member that was removed from the cluster
 * ("permanently removed") and exits, often with code 0; the kubelet restarts it again and again.
 * A plain `up` does not call the provider (nothing in the program changed); `up --refresh` sees
 * the extra replica and the provider stops the pod; the next size change deletes the stale
 * volumes and re-adds the members cleanly.
 * Pods on 127.3.2.x; a short crash-loop back-off (kubelet configuration) keeps the loop quick.
 */
import * as k8s from "@kubernetes/client-node";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { progressLines } from "../pulumi/output";
import { until } from "../support/poll";
import { seconds } from "../support/times";
import { Scenario } from "./harness";

let scenario: Scenario;
let removedId: string | undefined;

before(async () => {
  scenario = await Scenario.start({
    name: "stale-volume",
    namespace: "e2e-retain",
    podNetwork: "127.3.2",
    crashLoopBackoff: { initialMs: 1_000, maxMs: 4_000 },
    settings: { pvcPolicy: "Retain" },
  });
});

after(() => scenario?.stop());

test("create with size 3 and pvcPolicy Retain", async () => {
  await scenario.up("create with size 3", { size: 3 });
  const state = await scenario.converged("create with size 3", 3);
  removedId = state.members.find((m) => m.name === "etcd-1")?.id;
});

test("3 → 1 keeps the volumes of the removed members", async () => {
  await scenario.up("3 → 1", { size: 1 });
  const state = await scenario.converged("3 → 1", 1, 3);
  assert.deepEqual(
    state.volumes.map((v) => v.name),
    ["data-etcd-0", "data-etcd-1", "data-etcd-2"],
  );
});

test("etcd-1 started on its old volume around the provider crash-loops as permanently removed", async () => {
  const { namespace } = scenario.cluster;
  const apps = scenario.kubeConfig.makeApiClient(k8s.AppsV1Api);
  await apps.patchNamespacedStatefulSetScale(
    { name: "etcd", namespace, body: { spec: { replicas: 2 } } },
    k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
  );
  const started = Date.now();
  const pod = await until(
    "etcd-1 to have restarted three times",
    async () => {
      const p = (await scenario.state()).pods.find((x) => x.name === "etcd-1");
      return p && p.restarts >= 3 && p.lastExit ? p : undefined;
    },
    { timeoutMs: 120_000, maxIntervalMs: 1_000 },
  );
  console.log(
    `[timing] stale-volume: etcd-1 on its old volume: ${pod.restarts} restarts in ` +
      `${seconds(Date.now() - started)}, not ready; last exit ${pod.lastExit}`,
  );
  assert.equal(pod.ready, false);
  // The kubelet keeps one log per run; the first run's says why etcd stopped.
  const current = scenario.kubernetes.kubelet.logFile(namespace, "etcd-1", "etcd");
  assert.ok(current);
  const firstRun = fs.readFileSync(path.join(path.dirname(current), "0.log"), "utf8");
  assert.match(firstRun, /the member has been permanently removed from the cluster/);
  const state = await scenario.state();
  assert.deepEqual(
    state.members.map((m) => m.name),
    ["etcd-0"],
    "the removed member was not let back in",
  );
});

/** Where a provider step appears in a run's log; fails naming the steps when it is missing. */
function stepIndex(log: string[], text: string): number {
  const steps = progressLines(log);
  const at = steps.findIndex((l) => l.includes(text));
  assert.ok(at >= 0, `a step "${text}" in:\n${steps.join("\n")}`);
  return at;
}

test("a plain up does not call the provider: nothing in the program changed", async () => {
  const result = await scenario.up("up without a change");
  assert.deepEqual(progressLines(result.log), [], "no provider step");
  assert.ok(
    !result.log.some((l) =>
      l.includes("pulumi-nodejs:dynamic/etcd:Membership etcd-membership updat"),
    ),
    "the membership resource is not updated",
  );
  const state = await scenario.state();
  assert.equal(state.replicas, 2);
  assert.equal(state.pods.find((p) => p.name === "etcd-1")?.ready, false, "still crash-looping");
});

test("up --refresh sees the extra replica: the provider stops the pod and keeps the volumes", async () => {
  const result = await scenario.up("up --refresh", {}, { refresh: true });
  stepIndex(result.log, "etcd-1: scale to 1 replica(s) (stop pod)");
  await scenario.converged("up --refresh", 1, 3);
});

test("the next size change deletes the stale volumes and re-adds the members cleanly", async () => {
  const result = await scenario.up("1 → 3 over stale volumes", { size: 3 });
  const deleteStale = stepIndex(result.log, "etcd-1: delete stale volume data-etcd-1");
  assert.ok(deleteStale < stepIndex(result.log, "etcd-1: add as learner"), "delete, then add");
  stepIndex(result.log, "etcd-2: delete stale volume data-etcd-2");
  const state = await scenario.converged("1 → 3 over stale volumes", 3);
  assert.notEqual(
    state.members.find((m) => m.name === "etcd-1")?.id,
    removedId,
    "etcd-1 is a new member",
  );
});
