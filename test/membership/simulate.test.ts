import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { predictSteps } from "../../providers/membership/simulate";
import { describeStep } from "../../providers/membership/steps";
import { cluster, goal, slotOf, unreachable } from "./observations";

const predicted = (...args: Parameters<typeof predictSteps>) =>
  predictSteps(...args).map(describeStep);

const join = (k: number, members: number) =>
  `etcd-${k}: write join configuration (existing cluster of ${Array.from(
    { length: members },
    (_, i) => `etcd-${i}`,
  ).join(", ")})`;

const growTo = (k: number) => [
  `etcd-${k}: add as learner`,
  join(k, k + 1),
  `etcd-${k}: scale to ${k + 1} replica(s) (start pod)`,
  `etcd-${k}: wait until the learner has started and caught up with the leader`,
  `etcd-${k}: learner caught up, promote to voter`,
];

describe("predictSteps: the whole step sequence the plan produces", () => {
  it("create to 3: bootstrap, settle the join configuration, then grow by learners", () => {
    assert.deepEqual(predicted(unreachable(), goal(3, { bootstrap: true }), slotOf), [
      "etcd-0: write join configuration (new cluster of etcd-0)",
      "etcd-0: scale to 1 replica(s) (start pod)",
      "etcd-0: wait until the first member serves with a leader",
      "etcd-0: write join configuration (existing cluster of etcd-0, no join pending)",
      ...growTo(1),
      ...growTo(2),
    ]);
  });

  it("3 to 1 with Delete: remove, stop the pod, delete the volume, per member", () => {
    assert.deepEqual(predicted(cluster(3, { leader: 2 }), goal(1), slotOf), [
      "etcd-2: move leadership to etcd-0",
      "etcd-2: remove member",
      "etcd-2: scale to 2 replica(s) (stop pod)",
      "etcd-2: delete volume data-etcd-2",
      "etcd-1: remove member",
      "etcd-1: scale to 1 replica(s) (stop pod)",
      "etcd-1: delete volume data-etcd-1",
    ]);
  });

  it("1 to 3 with retained volumes: each is deleted as stale just before its learner is added", () => {
    const o = cluster(1, {}, { volumes: [0, 1, 2] });
    assert.deepEqual(predicted(o, goal(3, { volumePolicy: "Retain" }), slotOf), [
      "etcd-1: delete stale volume data-etcd-1 (its member left the cluster)",
      ...growTo(1),
      "etcd-2: delete stale volume data-etcd-2 (its member left the cluster)",
      ...growTo(2),
    ]);
  });

  it("predicts nothing for a refusal or a converged cluster", () => {
    assert.deepEqual(predicted(unreachable(), goal(3), slotOf), []);
    assert.deepEqual(predicted(cluster(3), goal(3), slotOf), []);
  });
});
