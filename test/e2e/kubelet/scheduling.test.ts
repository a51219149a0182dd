import type { V1Node, V1PersistentVolumeClaim, V1Pod } from "@kubernetes/client-node";
import * as assert from "node:assert/strict";
import { test } from "node:test";
import { schedulingProblem } from "./scheduling";

const node: V1Node = { metadata: { name: "n1", labels: { "kubernetes.io/hostname": "n1" } } };
const member = (name: string, antiAffinity: "required" | "preferred"): V1Pod => {
  const term = {
    labelSelector: { matchLabels: { app: "etcd" } },
    topologyKey: "kubernetes.io/hostname",
  };
  return {
    metadata: { name, namespace: "db", uid: name, labels: { app: "etcd" } },
    spec: {
      containers: [],
      volumes: [{ name: "data", persistentVolumeClaim: { claimName: `data-${name}` } }],
      affinity: {
        podAntiAffinity:
          antiAffinity === "required"
            ? { requiredDuringSchedulingIgnoredDuringExecution: [term] }
            : {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  { weight: 100, podAffinityTerm: term },
                ],
              },
      },
    },
  };
};
const bound = (): V1PersistentVolumeClaim => ({ status: { phase: "Bound" } });

test("required anti-affinity keeps a second member off the only node; preferred does not", () => {
  const running = [member("etcd-0", "required")];
  assert.equal(
    schedulingProblem(member("etcd-1", "required"), node, running, bound),
    "0/1 nodes are available: 1 node(s) didn't match pod anti-affinity rules.",
  );
  assert.equal(schedulingProblem(member("etcd-1", "preferred"), node, running, bound), undefined);
});

const NOT_HELPFUL =
  "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.";

test("a pod waits for its claims to exist, not be in deletion, and be bound, in kube-scheduler's words", () => {
  const pod = member("etcd-0", "preferred");
  assert.equal(
    schedulingProblem(pod, node, [], () => undefined),
    `0/1 nodes are available: persistentvolumeclaim "data-etcd-0" not found. ${NOT_HELPFUL}`,
  );
  const deleting: V1PersistentVolumeClaim = {
    metadata: { deletionTimestamp: new Date(), finalizers: ["kubernetes.io/pvc-protection"] },
    status: { phase: "Bound" },
  };
  assert.equal(
    schedulingProblem(pod, node, [], () => deleting),
    `0/1 nodes are available: persistentvolumeclaim "data-etcd-0" is being deleted. ${NOT_HELPFUL}`,
  );
  assert.equal(
    schedulingProblem(pod, node, [], () => ({ status: { phase: "Pending" } })),
    `0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims. ${NOT_HELPFUL}`,
  );
  assert.equal(
    schedulingProblem(pod, node, [], () => ({
      spec: { volumeName: "pv-1" },
      status: { phase: "Lost" },
    })),
    `0/1 nodes are available: persistentvolumeclaim "data-etcd-0" bound to non-existent persistentvolume "pv-1". ${NOT_HELPFUL}`,
  );
  assert.equal(schedulingProblem(pod, node, [], bound), undefined);
});

test("every claim is checked for existence and deletion before any is reported unbound", () => {
  const pod = member("etcd-0", "preferred");
  pod.spec!.volumes!.push({ name: "wal", persistentVolumeClaim: { claimName: "wal-etcd-0" } });
  const claims: Record<string, V1PersistentVolumeClaim> = {
    "data-etcd-0": { status: { phase: "Pending" } },
    "wal-etcd-0": { metadata: { deletionTimestamp: new Date() }, status: { phase: "Bound" } },
  };
  assert.match(
    schedulingProblem(pod, node, [], (_ns, name) => claims[name]) ?? "",
    /persistentvolumeclaim "wal-etcd-0" is being deleted/,
  );
});

test("a pod that may not preempt says so instead of the preemption verdict", () => {
  const pod = member("etcd-0", "preferred");
  pod.spec!.preemptionPolicy = "Never";
  assert.equal(
    schedulingProblem(pod, node, [], () => undefined),
    '0/1 nodes are available: persistentvolumeclaim "data-etcd-0" not found. preemption: not eligible due to preemptionPolicy=Never.',
  );
});

test("nodeSelector must match the node's labels", () => {
  const pod: V1Pod = {
    metadata: { name: "p", uid: "p" },
    spec: { containers: [], nodeSelector: { disk: "ssd" } },
  };
  assert.match(
    schedulingProblem(pod, node, [], bound) ?? "",
    /didn't match Pod's node affinity\/selector/,
  );
});
