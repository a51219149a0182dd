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

test("a pod waits for its claims to exist and be bound", () => {
  const pod = member("etcd-0", "preferred");
  assert.equal(
    schedulingProblem(pod, node, [], () => undefined),
    'persistentvolumeclaim "data-etcd-0" not found',
  );
  assert.equal(
    schedulingProblem(pod, node, [], () => ({ status: { phase: "Pending" } })),
    "0/1 nodes are available: 1 pod has unbound immediate PersistentVolumeClaims.",
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
