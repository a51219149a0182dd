/**
 * The real program through the Pulumi CLI on a real control plane with the process kubelet: create
 * with size 1, then 3, 1, 3 again, 3 → 5, 5 → 3 together with a pod template change, then destroy.
 * Each size change is previewed first (`pulumi preview --diff`), and the preview must name the
 * members added or removed, the plan and the size. After each step the cluster must have settled:
 * every pod Ready on the current template, the etcd member list equal to the pods, one volume per
 * member (pvcPolicy Delete), every key written before readable on every member, no learner left.
 * Pods on 127.3.1.x.
 */
import * as k8s from "@kubernetes/client-node";
import * as assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { joinConfigMapName } from "../../../model/naming";
import { membershipPreview } from "../pulumi/output";
import { Scenario } from "./harness";

let scenario: Scenario;
/** Member IDs by name after the previous step: a re-added member must get a new one. */
let lastIds = new Map<string, string>();

before(async () => {
  scenario = await Scenario.start({ name: "scaling", podNetwork: "127.3.1" });
});

after(() => scenario?.stop());

/** `pulumi preview --diff` to `size`: the membership resource's block shows each of `lines`. */
async function assertPreview(step: string, size: number, lines: string[]): Promise<void> {
  const preview = await scenario.preview(step, { size });
  const block = membershipPreview(preview.log).join("\n");
  assert.ok(block.length > 0, `the preview changes the membership:\n${preview.log.join("\n")}`);
  for (const line of lines) assert.ok(block.includes(line), `preview shows ${line}:\n${block}`);
}

async function scaleStep(step: string, size: number, changes: Record<string, unknown> = {}) {
  const result = await scenario.up(step, { size, ...changes });
  assert.deepEqual(
    result.outputs.members,
    Array.from({ length: size }, (_, k) => `etcd-${k}`),
  );
  const state = await scenario.converged(step, size);
  const ids = new Map(state.members.map((m) => [m.name, m.id]));
  assert.deepEqual(
    (result.outputs.memberStatus as { name: string; id: string }[]).map((m) => [m.name, m.id]),
    [...ids],
    "the stack outputs name the live members",
  );
  return { result, state, ids };
}

test("create with size 1", async () => {
  const { ids } = await scaleStep("create with size 1", 1);
  lastIds = ids;
});

test("1 → 3", async () => {
  await assertPreview("1 → 3", 3, [
    '+ [1]: "etcd-1"',
    '+ [2]: "etcd-2"',
    '~ plan           : "bootstrap etcd-0" => "add etcd-1, etcd-2 as learners one at a time, promoting each"',
    "~ size           : 1 => 3",
  ]);
  const { ids } = await scaleStep("1 → 3", 3);
  assert.equal(ids.get("etcd-0"), lastIds.get("etcd-0"), "etcd-0 stays the same member");
  lastIds = ids;
});

test("3 → 1: the removed members' volumes are deleted (pvcPolicy Delete)", async () => {
  await assertPreview("3 → 1", 1, [
    '- [1]: "etcd-1"',
    '- [2]: "etcd-2"',
    '"remove etcd-2, then etcd-1 (leader moved first if needed) and delete their volumes"',
    "~ size           : 3 => 1",
  ]);
  const { state } = await scaleStep("3 → 1", 1);
  assert.deepEqual(
    state.volumes.map((v) => v.name),
    ["data-etcd-0"],
  );
});

test("1 → 3 again: etcd-1 and etcd-2 join as new members on new volumes", async () => {
  const { ids } = await scaleStep("1 → 3 again", 3);
  for (const name of ["etcd-1", "etcd-2"])
    assert.notEqual(ids.get(name), lastIds.get(name), `${name} is a new member`);
  lastIds = ids;
});

test("3 → 5", async () => {
  await assertPreview("3 → 5", 5, [
    '+ [3]: "etcd-3"',
    '+ [4]: "etcd-4"',
    "~ size           : 3 => 5",
  ]);
  await scaleStep("3 → 5", 5);
});

test("5 → 3 together with a pod template change", async () => {
  const annotations = { "example.com/revision": "2" };
  const resources = { requests: { cpu: "60m", memory: "128Mi" } };
  const apps = scenario.kubeConfig.makeApiClient(k8s.AppsV1Api);
  const read = () =>
    apps.readNamespacedStatefulSet({ name: "etcd", namespace: scenario.cluster.namespace });
  const before = (await read()).status?.updateRevision;
  const { state } = await scaleStep("5 → 3 with a pod template change", 3, {
    annotations,
    resources,
  });
  const statefulSet = await read();
  assert.notEqual(statefulSet.status?.updateRevision, before, "the template changed");
  assert.ok(
    state.pods.every((p) => p.revision === statefulSet.status?.updateRevision),
    "every pod runs the new template",
  );
  const pod = statefulSet.spec?.template;
  assert.equal(pod?.metadata?.annotations?.["example.com/revision"], "2");
  assert.deepEqual(JSON.parse(JSON.stringify(pod?.spec?.containers[0].resources)), resources);
});

test("destroy: volumes and namespace are kept, everything else is gone", async () => {
  const result = await scenario.destroy();
  const { namespace } = scenario.cluster;
  assert.ok(
    result.log.some(
      (l) =>
        l.includes(`kubernetes:core/v1:Namespace ${namespace} deleted`) && l.includes("[retain]"),
    ),
    "the Namespace is retained (retainOnDelete)",
  );
  const core = scenario.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const state = await scenario.podsGone();
  assert.equal(state.replicas, undefined, "no StatefulSet");
  assert.equal(state.joinConfigMap, false, `ConfigMap ${joinConfigMapName(scenario.cluster)}`);
  assert.deepEqual(
    state.volumes.map((v) => `${v.name} ${v.phase}`),
    ["data-etcd-0 Bound", "data-etcd-1 Bound", "data-etcd-2 Bound"],
    "whenDeleted: Retain keeps every member's volume",
  );
  assert.equal((await core.readNamespace({ name: namespace })).status?.phase, "Active");
  const services = await core.listNamespacedService({ namespace });
  assert.deepEqual(
    services.items.map((s) => s.metadata?.name),
    [],
  );
  const budgets = await scenario.kubeConfig
    .makeApiClient(k8s.PolicyV1Api)
    .listNamespacedPodDisruptionBudget({ namespace });
  assert.deepEqual(
    budgets.items.map((b) => b.metadata?.name),
    [],
  );
});
