/** The plan, part 3: scale-down, health, the voter label, replacing members (F4, F6). */
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Observation } from "../../providers/membership/observation";
import { describeNext, planFor, refusalOf, stepOf } from "./decisions";
import {
  T,
  cluster,
  idOf,
  memberAt,
  reading,
  recordOf,
  runningPod,
  slotOf,
  statusAt,
  volume,
  waitingPod,
} from "./observations";

const down = (k: number, error = "14 UNAVAILABLE: connect ECONNREFUSED") => ({
  ordinal: k,
  ok: false as const,
  error,
});

/** A voter whose volume lost its data: etcd refused to start it without its name plainly listed. */
function lostData(o: Observation, k: number): Observation {
  o.statuses[k] = down(k);
  o.pods[k] = waitingPod(k, {
    restarts: 2,
    started: true,
    voterLabel: true,
    lastTermination: `exited with code 1 (Error): couldn't find local name "etcd-${k}" in the initial cluster configuration`,
  });
  return o;
}

describe("plan: scale-down", () => {
  it("takes the voter label off the highest voter's pod, then removes the member", () => {
    const o = cluster(3);
    assert.deepEqual(stepOf(planFor(o, 2)), { kind: "label", slot: slotOf(2), voter: false });
    o.pods[2] = runningPod(2, { voterLabel: false });
    assert.deepEqual(stepOf(planFor(o, 2)), {
      kind: "remove-member",
      slot: slotOf(2),
      memberId: idOf(2),
      why: "size",
    });
  });

  it("moves leadership away from the highest voter first, to the most advanced voter", () => {
    const o = cluster(3, { leader: 2 });
    o.statuses[1] = statusAt(1, 2, { raftAppliedIndex: 120 });
    assert.deepEqual(stepOf(planFor(o, 2)), {
      kind: "move-leader",
      slot: slotOf(2),
      target: slotOf(1),
      targetId: idOf(1),
    });
  });

  it("records the removal before the pod stops, then stops it and waits until it is gone", () => {
    const o = cluster(2, {}, { replicas: 3, pods: [0, 1, 2].map((k) => runningPod(k)) });
    o.record = reading(recordOf([0, 1, 2]));
    o.volumes = [volume(0), volume(1), volume(2)];
    assert.equal(stepOf(planFor(o, 2)).kind, "write-record");
    o.record = reading(recordOf([0, 1]));
    assert.equal(describeNext(o, 2), "etcd-2: scale to 2 replica(s) (stop pod)");
    o.replicas = 2;
    o.pods[2] = runningPod(2, { phase: "terminating", voterLabel: false });
    assert.equal(describeNext(o, 2), "etcd-2: wait until the pod is gone");
  });

  it("then deletes the removed member's volume under Delete, and keeps it under Retain", () => {
    const o = cluster(2, {}, { volumes: [volume(0), volume(1), volume(2)] });
    assert.equal(describeNext(o, 2), "etcd-2: delete volume data-etcd-2");
    assert.deepEqual(planFor(o, 2, { volumePolicy: "Retain" }), { kind: "done" });
  });

  it("removes a dead voter that the size decrease removes anyway, when quorum allows (F6)", () => {
    const o = cluster(3);
    o.statuses[2] = down(2);
    o.pods = [runningPod(0), runningPod(1)];
    assert.deepEqual(stepOf(planFor(o, 2)), {
      kind: "remove-member",
      slot: slotOf(2),
      memberId: idOf(2),
      why: "size",
    });
  });

  it("refuses to remove a member when the voters left would lose quorum, saying why", () => {
    const two = cluster(2);
    two.statuses[1] = down(1);
    two.pods = [runningPod(0)];
    assert.match(
      refusalOf(planFor(two, 1)),
      /^cannot remove etcd-1 \(id a1000000000001, voter\): only 1 of 2 voters answer, fewer than the 2 any membership change needs/,
    );
    const three = cluster(3);
    three.statuses[0] = down(0);
    three.pods[0] = waitingPod(0, { restarts: 5, started: true, voterLabel: true });
    assert.match(
      refusalOf(planFor(three, 2)),
      /the cluster is not healthy, so nothing was changed: etcd-0 .* does not answer.*replaceMembers/,
    );
  });
});

describe("plan: the workload drifted from the members", () => {
  it("scales pods without a member back down", () => {
    const o = cluster(3, {}, { replicas: 5, pods: [0, 1, 2, 3, 4].map((k) => runningPod(k)) });
    assert.equal(describeNext(o, 3), "etcd-3: scale to 3 replica(s) (stop pod)");
  });

  it("starts the pods of members that were stopped, volumes or not", () => {
    const o = cluster(3, {}, { replicas: 1, pods: [runningPod(0)], volumes: [volume(0)] });
    assert.equal(describeNext(o, 3), "etcd-1: scale to 3 replica(s) (start pod)");
  });

  it("labels healthy voters' pods and unlabels any other pod", () => {
    const o = cluster(3);
    o.pods[1] = runningPod(1, { voterLabel: false });
    assert.deepEqual(stepOf(planFor(o, 3)), { kind: "label", slot: slotOf(1), voter: true });
    const learner = cluster(2, { learner: { ordinal: 2, started: true, appliedIndex: 10 } });
    learner.pods[2] = runningPod(2, { voterLabel: true });
    assert.equal(
      describeNext(learner, 3),
      "etcd-2: wait until the learner has started and caught up with the leader",
      "the learner comes first",
    );
  });
});

describe("plan: a voter whose volume lost its data (F4)", () => {
  it("is replaced: unlabelled, removed, and re-added at its ordinal on the same empty volume", () => {
    const o = lostData(cluster(3), 1);
    assert.deepEqual(stepOf(planFor(o, 3)), { kind: "label", slot: slotOf(1), voter: false });
    o.pods[1] = { ...o.pods[1], voterLabel: false };
    assert.deepEqual(stepOf(planFor(o, 3)), {
      kind: "remove-member",
      slot: slotOf(1),
      memberId: idOf(1),
      why: "replace",
    });
    // Removed: the hole at ordinal 1 is refilled; etcd's refusal proves the volume holds no data.
    const removed = cluster(3);
    lostData(removed, 1);
    removed.pods[1] = { ...removed.pods[1], voterLabel: false };
    removed.cluster = {
      reachable: true,
      clusterId: "c1c1c1c1c1c1c1c1",
      members: [memberAt(0), memberAt(2)],
    };
    removed.statuses = [statusAt(0, 0), statusAt(2, 0)];
    removed.record = reading(recordOf([0, 2]));
    assert.deepEqual(stepOf(planFor(removed, 3)), { kind: "add-learner", slot: slotOf(1) });
  });

  it("is refused when its removal would cost quorum", () => {
    const o = lostData(cluster(2), 1);
    o.pods[1] = { ...o.pods[1], voterLabel: false };
    assert.match(refusalOf(planFor(o, 2)), /^cannot remove etcd-1 .* only 1 of 2 voters answer/);
  });
});

describe("plan: replaceMembers", () => {
  it("replaces a healthy member: leader moved, unlabelled, removed, volume replaced, re-added", () => {
    const o = cluster(3, { leader: 1 });
    const replace = [idOf(1)];
    assert.equal(stepOf(planFor(o, 3, { replace })).kind, "move-leader");
    const followed = cluster(3);
    assert.deepEqual(stepOf(planFor(followed, 3, { replace })), {
      kind: "label",
      slot: slotOf(1),
      voter: false,
    });
    const hole = cluster(3);
    hole.cluster = {
      reachable: true,
      clusterId: "c1c1c1c1c1c1c1c1",
      members: [memberAt(0), memberAt(2)],
    };
    hole.statuses = [statusAt(0, 0), down(1, "14 UNAVAILABLE: member removed"), statusAt(2, 0)];
    hole.pods[1] = runningPod(1, { voterLabel: false });
    hole.record = reading(recordOf([0, 2]));
    assert.deepEqual(stepOf(planFor(hole, 3, { replace })), {
      kind: "replace-volume",
      slot: slotOf(1),
    });
    assert.equal(
      describeNext(hole, 3, { replace }),
      "etcd-1: replace volume data-etcd-1 with an empty one (its member left the cluster)",
    );
    hole.volumes[1] = volume(1, T.record + 2_000);
    hole.pods[1] = runningPod(1, { createdAt: T.record + 2_000, voterLabel: false, ready: false });
    assert.deepEqual(stepOf(planFor(hole, 3, { replace })), {
      kind: "add-learner",
      slot: slotOf(1),
    });
  });

  it("skips IDs that are not members, and refuses to replace the only voter", () => {
    assert.deepEqual(planFor(cluster(3), 3, { replace: ["0123456789abcdef"] }), { kind: "done" });
    const one = cluster(1);
    one.pods[0] = runningPod(0, { voterLabel: false });
    assert.match(
      refusalOf(planFor(one, 1, { replace: [idOf(0)] })),
      /cannot remove etcd-0 .* is the only voter/,
    );
  });
});

describe("plan: refusals change nothing and name the members", () => {
  it("refuses when a voter does not answer, naming it and its pod", () => {
    const o = cluster(3);
    o.statuses[1] = down(1, "14 UNAVAILABLE: No connection established");
    o.pods[1] = waitingPod(1, { started: true, restarts: 1, lastTermination: "killed" });
    const reason = refusalOf(planFor(o, 5));
    assert.match(
      reason,
      /^the cluster is not healthy, so nothing was changed: etcd-1 \(id a1000000000001, voter\) does not answer: 14 UNAVAILABLE/,
    );
    assert.match(reason, /\[pod etcd-1: waiting, not ready, 1 restart\(s\), last exit: killed\]/);
  });

  it("refuses when a voter never started", () => {
    const o = cluster(3);
    o.cluster = {
      reachable: true,
      clusterId: "c1c1c1c1c1c1c1c1",
      members: [memberAt(0), memberAt(1), memberAt(2, { name: "" })],
    };
    o.statuses[2] = down(2);
    o.pods[2] = waitingPod(2, { restarts: 3, started: true });
    assert.match(refusalOf(planFor(o, 3)), /etcd-2 \(id a2000000000002, voter\) has not started/);
  });

  it("refuses when a voter reports errors or no leader", () => {
    const o = cluster(3);
    o.statuses[1] = statusAt(1, 0, { errors: ["NOSPACE"] });
    assert.match(refusalOf(planFor(o, 3)), /etcd-1 .* reports errors: NOSPACE/);
    o.statuses[1] = statusAt(1, 0, { leader: undefined });
    assert.match(refusalOf(planFor(o, 3)), /etcd-1 .* knows no leader/);
  });

  it("refuses when the voters agree on no leader", () => {
    const o = cluster(2);
    o.statuses = [statusAt(0, 1), statusAt(1, 0)];
    assert.match(refusalOf(planFor(o, 3), true), /no leader that its voters agree on/);
  });

  it("refuses while alarms are raised, naming the member and alarm", () => {
    const o = cluster(3, {}, { alarms: [{ memberId: idOf(1), alarm: "NOSPACE" }] });
    assert.match(
      refusalOf(planFor(o, 3)),
      /alarms are raised: etcd-1 \(id a1000000000001\): NOSPACE/,
    );
  });

  it("refuses members whose peer URL matches no slot", () => {
    const o = cluster(2);
    const stranger = memberAt(9, { id: "feed", name: "other", peerURLs: ["http://10.0.0.9:2380"] });
    o.cluster = {
      reachable: true,
      clusterId: "c1c1c1c1c1c1c1c1",
      members: [memberAt(0), memberAt(1), stranger],
    };
    assert.match(
      refusalOf(planFor(o, 3)),
      /peer URL matches no member slot of this cluster: other \(id feed, peer URL http:\/\/10\.0\.0\.9:2380\)/,
    );
  });

  it("never tells the user to delete volumes in any refusal about a live cluster", () => {
    const cases: Observation[] = [
      lostData(cluster(2), 1),
      cluster(3, {}, { alarms: [{ memberId: idOf(1), alarm: "NOSPACE" }] }),
    ];
    const sick = cluster(3);
    sick.statuses[0] = down(0);
    sick.pods[0] = waitingPod(0, { restarts: 3, started: true });
    cases.push(sick);
    for (const o of cases) {
      o.pods = o.pods.map((p) => ({ ...p, voterLabel: false }));
      const d = planFor(o, 2);
      if (d.kind === "refuse")
        assert.doesNotMatch(d.reason, /delete (them|the volumes?)/i, d.reason);
    }
  });
});

describe("plan: done", () => {
  it("is done when members, pods, labels, volumes and the record match the goal", () => {
    assert.deepEqual(planFor(cluster(3), 3), { kind: "done" });
    assert.deepEqual(planFor(cluster(1), 1), { kind: "done" });
  });
});

describe("plan: a voter whose pod is being replaced (rollout, deleted pod)", () => {
  const withPod = (pod: Observation["pods"][number] | undefined) => {
    const o = cluster(3);
    o.statuses[2] = down(2);
    o.pods = pod ? [runningPod(0), runningPod(1), pod] : [runningPod(0), runningPod(1)];
    return o;
  };

  it("waits while the pod is terminating, missing, or new and not answering yet", () => {
    for (const pod of [
      runningPod(2, { phase: "terminating", ready: false }),
      undefined,
      runningPod(2, { phase: "waiting", ready: false }),
      runningPod(2, { ready: false }),
    ])
      assert.equal(
        describeNext(withPod(pod), 5),
        "etcd-2: wait until the member answers again (its pod is being replaced, e.g. by a rollout)",
        JSON.stringify(pod),
      );
  });

  it("refuses when the pod restarted or exited: that is a failure, not a replacement", () => {
    for (const pod of [
      runningPod(2, { phase: "waiting", ready: false, restarts: 1 }),
      runningPod(2, { phase: "waiting", ready: false, lastTermination: "exited with code 1" }),
    ])
      assert.match(refusalOf(planFor(withPod(pod), 5)), /etcd-2 .* does not answer/);
  });

  it("refuses when another voter fails at the same time, naming both", () => {
    const o = withPod(undefined);
    o.statuses[1] = down(1, "deadline exceeded");
    o.pods[1] = runningPod(1, { phase: "waiting", ready: false, restarts: 3 });
    const reason = refusalOf(planFor(o, 5));
    assert.match(reason, /etcd-1 .* does not answer: deadline exceeded/);
    assert.match(reason, /etcd-2 .* does not answer/);
  });
});
