import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { predictSteps } from "../../providers/membership/simulate";
import { describeStep } from "../../providers/membership/steps";
import { T, cluster, goal, idOf, slotOf, unreachable, volume, waitingPod } from "./observations";

const predicted = (...args: Parameters<typeof predictSteps>) =>
  predictSteps(...args).map(describeStep);

/** The record's words for members 0..n-1 with the given IDs, and the learner that may join. */
const recorded = (clusterId: string, ids: string[], joining?: number) =>
  `record cluster ${clusterId}, members ${ids.map((id, k) => `etcd-${k}=${id}`).join(",")}` +
  (joining === undefined ? "" : `; etcd-${joining} may join`);

const growTo = (k: number, clusterId: string, id: (i: number) => string) => {
  const ids = Array.from({ length: k + 1 }, (_, i) => id(i));
  return [
    `etcd-${k}: add as learner`,
    `etcd-${k}: ${recorded(clusterId, ids, k)}`,
    `etcd-${k}: scale to ${k + 1} replica(s) (start pod)`,
    `etcd-${k}: wait until the learner has started and caught up with the leader`,
    `etcd-${k}: learner caught up, promote to voter`,
    `etcd-0: ${recorded(clusterId, ids)}`,
    `etcd-${k}: label the pod as a voter (the PodDisruptionBudget counts it)`,
  ];
};

describe("predictSteps: the whole step sequence the plan produces", () => {
  it("create to 3: found the cluster, record it, then grow by learners", () => {
    const fresh = unreachable({
      replicas: 1,
      pods: [waitingPod(0)],
      volumes: [volume(0, T.workload + 1)],
    });
    const id = (k: number) => `predicted-${k}`;
    assert.deepEqual(predicted(fresh, goal(3), slotOf), [
      "etcd-0: record a new cluster: this member founds it on an empty volume",
      "etcd-0: wait until the first member serves with a leader",
      `etcd-0: ${recorded("predicted", [id(0)])}`,
      "etcd-0: label the pod as a voter (the PodDisruptionBudget counts it)",
      ...growTo(1, "predicted", id),
      ...growTo(2, "predicted", id),
    ]);
  });

  it("3 to 1 with Delete: unlabel, remove, record, stop the pod, delete the volume, per member", () => {
    const shrink = (k: number, ids: string[]) => [
      `etcd-${k}: remove the pod's voter label (the PodDisruptionBudget no longer counts it)`,
      `etcd-${k}: remove member`,
      `etcd-0: ${recorded("c1c1c1c1c1c1c1c1", ids)}`,
      `etcd-${k}: scale to ${k} replica(s) (stop pod)`,
      `etcd-${k}: delete volume data-etcd-${k}`,
    ];
    assert.deepEqual(predicted(cluster(3, { leader: 2 }), goal(1), slotOf), [
      "etcd-2: move leadership to etcd-0",
      ...shrink(2, [idOf(0), idOf(1)]),
      ...shrink(1, [idOf(0)]),
    ]);
  });

  it("1 to 3 with retained volumes: each is deleted as stale just before its learner is added", () => {
    const o = cluster(1, {}, { volumes: [volume(0), volume(1), volume(2)] });
    const id = (k: number) => (k === 0 ? idOf(0) : `predicted-${k}`);
    assert.deepEqual(predicted(o, goal(3, { volumePolicy: "Retain" }), slotOf), [
      "etcd-1: delete stale volume data-etcd-1 (its member left the cluster)",
      ...growTo(1, "c1c1c1c1c1c1c1c1", id),
      "etcd-2: delete stale volume data-etcd-2 (its member left the cluster)",
      ...growTo(2, "c1c1c1c1c1c1c1c1", id),
    ]);
  });

  it("a lost record written again: the pods that waited for it start and are labelled", () => {
    const o = cluster(3, {}, { record: undefined });
    o.pods = o.pods.map((p) => (p.ordinal === 0 ? p : waitingPod(p.ordinal)));
    o.statuses = o.statuses.map((s) =>
      s.ordinal === 0 ? s : { ordinal: s.ordinal, ok: false, error: "connection refused" },
    );
    const actions = predictSteps(o, goal(3), slotOf).filter((s) => s.kind !== "wait");
    assert.deepEqual(actions.map(describeStep), [
      `etcd-0: write the missing cluster record again (cluster c1c1c1c1c1c1c1c1, members etcd-0=${idOf(0)},etcd-1=${idOf(1)},etcd-2=${idOf(2)})`,
      "etcd-1: label the pod as a voter (the PodDisruptionBudget counts it)",
      "etcd-2: label the pod as a voter (the PodDisruptionBudget counts it)",
    ]);
  });

  it("predicts nothing for a refusal or a converged cluster", () => {
    const kept = unreachable({ replicas: 1, volumes: [volume(0, T.workload - 1)] });
    assert.deepEqual(predicted(kept, goal(3), slotOf), []);
    assert.deepEqual(predicted(cluster(3), goal(3), slotOf), []);
  });
});
