import type * as k8s from "@kubernetes/client-node";
import * as assert from "node:assert/strict";
import { test } from "node:test";
import { PodScheduler } from "./scheduler";
import type { WatchCache } from "./watchCache";

/** The two API calls the scheduler makes, recorded. */
class FakeCore {
  readonly messages: string[] = [];
  readonly bindings: string[] = [];

  patchNamespacedPodStatus(request: {
    body: { status: { conditions: k8s.V1PodCondition[] } };
  }): Promise<void> {
    this.messages.push(request.body.status.conditions[0].message ?? "");
    return Promise.resolve();
  }

  createNamespacedBinding(request: { body: k8s.V1Binding }): Promise<void> {
    this.bindings.push(`${request.body.metadata?.name} -> ${request.body.target.name}`);
    return Promise.resolve();
  }
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

const node: k8s.V1Node = { metadata: { name: "n1" } };
const noPods = { list: () => [] } as unknown as WatchCache<k8s.V1Pod>;

/** A StatefulSet pod whose volume is the claim `data-<name>`. */
const podWithClaim = (name: string, uid: string): k8s.V1Pod => ({
  metadata: { name, namespace: "db", uid },
  spec: {
    containers: [],
    volumes: [{ name: "data", persistentVolumeClaim: { claimName: `data-${name}` } }],
  },
});

test("a pod whose claim is being deleted is reconsidered as the claim goes and comes back", async () => {
  const core = new FakeCore();
  let claim: k8s.V1PersistentVolumeClaim | undefined = {
    metadata: { name: "data-etcd-1", deletionTimestamp: new Date() },
    status: { phase: "Bound" },
  };
  const scheduler = new PodScheduler(core as unknown as k8s.CoreV1Api, node, noPods, () => claim);
  const pod = podWithClaim("etcd-1", "u1");
  const pass = async () => {
    scheduler.consider(pod);
    await settle();
  };

  await pass();
  await pass(); // Nothing changed: the condition is not written again.
  claim = undefined;
  await pass();
  claim = { metadata: { name: "data-etcd-1" }, status: { phase: "Pending" } };
  await pass();
  assert.deepEqual(core.bindings, []);
  claim = { metadata: { name: "data-etcd-1" }, status: { phase: "Bound" } };
  await pass();

  const preemption =
    "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.";
  assert.deepEqual(core.messages, [
    `0/1 nodes are available: persistentvolumeclaim "data-etcd-1" is being deleted. ${preemption}`,
    `0/1 nodes are available: persistentvolumeclaim "data-etcd-1" not found. ${preemption}`,
    `0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. ${preemption}`,
  ]);
  assert.deepEqual(core.bindings, ["etcd-1 -> n1"]);
});

test("a binding waits for the pod's unschedulable patch still in flight, so it lands last", async () => {
  const calls: string[] = [];
  let answerPatch = () => {};
  const core = {
    patchNamespacedPodStatus: () =>
      new Promise<void>((resolve) => {
        answerPatch = () => {
          calls.push("PodScheduled=False");
          resolve();
        };
      }),
    createNamespacedBinding: () => {
      calls.push("binding");
      return Promise.resolve();
    },
  };
  let claim: k8s.V1PersistentVolumeClaim = {
    metadata: { name: "data-etcd-0" },
    status: { phase: "Pending" },
  };
  const scheduler = new PodScheduler(core as unknown as k8s.CoreV1Api, node, noPods, () => claim);
  const pod = podWithClaim("etcd-0", "u0");

  scheduler.consider(pod);
  await settle();
  claim = { ...claim, status: { phase: "Bound" } };
  scheduler.consider(pod);
  await settle();
  assert.deepEqual(calls, []);
  answerPatch();
  await settle();
  await settle();
  assert.deepEqual(calls, ["PodScheduled=False", "binding"]);
});
