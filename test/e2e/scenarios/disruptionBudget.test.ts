/**
 * The PodDisruptionBudget counts voters only (F5 of issue 9), with Kubernetes' own disruption
 * controller and Eviction API: the provider labels the pods of its healthy voters, a pod without
 * the label (a learner, a pod re-created by Kubernetes) is never counted, so an eviction that would
 * leave fewer than a quorum of labelled, ready voters is refused. Pods on 127.24.1.x.
 */
import * as k8s from "@kubernetes/client-node";
import * as assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { VOTER_LABEL, disruptionBudgetName, podName } from "../../../model/naming";
import { until } from "../support/poll";
import { Scenario } from "./harness";

let scenario: Scenario;

before(async () => {
  scenario = await Scenario.start({
    name: "budget",
    host: "127.24.0.1",
    podNetwork: "127.24.1",
    // The one scenario on `access: pod-ip` (the others use the default, port-forward): the
    // provider runs on the host, where the pods' loopback addresses are reachable.
    settings: { access: "pod-ip" },
  });
});

after(() => scenario?.stop());

const core = () => scenario.kubeConfig.makeApiClient(k8s.CoreV1Api);
const policy = () => scenario.kubeConfig.makeApiClient(k8s.PolicyV1Api);
const namespace = () => scenario.cluster.namespace;

/** The budget's status once the disruption controller has computed it as expected. */
async function budgetStatus(healthy: number, allowed: number) {
  return until(
    `the budget to count ${healthy} healthy voters and allow ${allowed} disruption(s)`,
    async () => {
      const budget = await policy().readNamespacedPodDisruptionBudget({
        name: disruptionBudgetName(scenario.cluster),
        namespace: namespace(),
      });
      const s = budget.status;
      if (s?.currentHealthy !== healthy || s.disruptionsAllowed !== allowed)
        throw new Error(`status ${JSON.stringify(s)}`);
      return s;
    },
    { timeoutMs: 60_000, maxIntervalMs: 500 },
  );
}

/** Resolves with the HTTP status of the Eviction: 201 allowed, 429 refused by the budget. */
async function evict(ordinal: number): Promise<number> {
  const name = podName(scenario.cluster, ordinal);
  try {
    await core().createNamespacedPodEviction({
      name,
      namespace: namespace(),
      body: {
        apiVersion: "policy/v1",
        kind: "Eviction",
        metadata: { name, namespace: namespace() },
      },
    });
    return 201;
  } catch (error) {
    return (error as { code?: number }).code ?? 0;
  }
}

/** What the provider does after taking a label off: make the controller look again. */
async function touchBudget(): Promise<void> {
  await policy().patchNamespacedPodDisruptionBudget(
    {
      name: disruptionBudgetName(scenario.cluster),
      namespace: namespace(),
      body: { metadata: { annotations: { "e2e/touched": String(Date.now()) } } },
    },
    k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
  );
}

async function setVoterLabel(ordinal: number, value: string | null): Promise<void> {
  await core().patchNamespacedPod(
    {
      name: podName(scenario.cluster, ordinal),
      namespace: namespace(),
      body: { metadata: { labels: { [VOTER_LABEL]: value } } },
    },
    k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
  );
}

test("size 3: the provider labels its three voters; the budget allows one eviction", async () => {
  await scenario.up("create with size 3", { size: 3 });
  const state = await scenario.converged("create with size 3", 3);
  const pods = await core().listNamespacedPod({ namespace: namespace() });
  assert.deepEqual(
    pods.items.map((p) => [p.metadata?.name, p.metadata?.labels?.[VOTER_LABEL]]).sort(),
    state.pods.map((p) => [p.name, "true"]),
  );
  const status = await budgetStatus(3, 1);
  assert.equal(status.desiredHealthy, 2, "a quorum of 3");
});

test("3 → 2: the budget is recomputed once the label is off, and refuses any eviction", async () => {
  // Kubernetes recomputes a budget only when one of its pods or the budget changes; a pod that
  // loses the label is no longer its pod, so the provider touches the budget and waits for it.
  await scenario.up("3 → 2", { size: 2 });
  await scenario.converged("3 → 2", 2);
  await budgetStatus(2, 0);
  assert.equal(await evict(0), 429, "evicting either voter of two would cost quorum");
});

test("a pod without the label is not counted, as a learner never is", async () => {
  await scenario.up("2 → 3", { size: 3 });
  await scenario.converged("2 → 3", 3);
  await budgetStatus(3, 1);
  await setVoterLabel(2, null);
  await touchBudget();
  await budgetStatus(2, 0);
  assert.equal(await evict(0), 429, "evicting a voter would leave one labelled voter of three");
});

test("an eviction allowed re-creates the pod without the label: stricter until the next up", async () => {
  await setVoterLabel(2, "true");
  await budgetStatus(3, 1);
  assert.equal(await evict(1), 201);
  await until(
    "etcd-1 to be re-created and running",
    async () => {
      const pod = await core().readNamespacedPod({
        name: podName(scenario.cluster, 1),
        namespace: namespace(),
      });
      const running =
        pod.status?.containerStatuses?.[0]?.ready === true && !pod.metadata?.deletionTimestamp;
      return running ? pod : undefined;
    },
    { timeoutMs: 120_000, maxIntervalMs: 1_000 },
  );
  await budgetStatus(2, 0);
  assert.equal(await evict(0), 429);
  const result = await scenario.up(
    "up --refresh: label the re-created voter",
    {},
    { refresh: true },
  );
  assert.ok(
    result.log.some((l) => l.includes("etcd-1: label the pod as a voter")),
    result.log.join("\n"),
  );
  await budgetStatus(3, 1);
  await scenario.converged("labelled again", 3);
});
