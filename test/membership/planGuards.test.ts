/** The plan, part 2: scale-down, drift repairs, refusals, done. */
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { plan } from "../../providers/membership/plan";
import type { Observation } from "../../providers/membership/observation";
import { describeStep } from "../../providers/membership/steps";
import { cluster, goal, idOf, memberAt, runningPod, slotOf, statusAt } from "./observations";
import { describeNext, refusalOf, stepOf } from "./decisions";

describe("plan: scale down, highest ordinal first", () => {
  it("removes the highest voter when it does not lead", () => {
    const s = stepOf(plan(cluster(3), goal(1), slotOf));
    assert.deepEqual(s, {
      kind: "remove-member",
      slot: slotOf(2),
      memberId: idOf(2),
      learner: false,
    });
    assert.equal(describeStep(s), "etcd-2: remove member");
  });

  it("moves leadership away from the highest voter first, to the most advanced voter", () => {
    const o = cluster(3, { leader: 2 });
    o.statuses = [statusAt(0, 2, { raftAppliedIndex: 90 }), statusAt(1, 2), statusAt(2, 2)];
    const s = stepOf(plan(o, goal(2), slotOf));
    assert.deepEqual(s, {
      kind: "move-leader",
      slot: slotOf(2),
      target: slotOf(1),
      targetId: idOf(1),
    });
    assert.equal(describeStep(s), "etcd-2: move leadership to etcd-1");
  });

  it("scales the workload down after the member is removed", () => {
    const o = cluster(
      2,
      {},
      { replicas: 3, pods: [0, 1, 2].map((k) => runningPod(k)), volumes: [0, 1, 2] },
    );
    assert.equal(describeNext(o, 1), "etcd-2: scale to 2 replica(s) (stop pod)");
  });

  it("waits until the pod of the removed member is gone", () => {
    const pods = [runningPod(0), runningPod(1), runningPod(2, { phase: "terminating" })];
    const o = cluster(2, {}, { pods, volumes: [0, 1, 2] });
    assert.equal(describeNext(o, 1), "etcd-2: wait until the pod is gone");
  });

  it("deletes the volume of a removed member under the Delete policy", () => {
    const o = cluster(2, {}, { volumes: [0, 1, 2] });
    assert.equal(describeNext(o, 1), "etcd-2: delete volume data-etcd-2");
  });

  it("keeps the volume of a removed member under the Retain policy", () => {
    const o = cluster(2, {}, { volumes: [0, 1, 2] });
    const s = stepOf(plan(o, goal(1, { volumePolicy: "Retain" }), slotOf));
    assert.deepEqual(s, {
      kind: "remove-member",
      slot: slotOf(1),
      memberId: idOf(1),
      learner: false,
    });
    assert.deepEqual(plan(o, goal(2, { volumePolicy: "Retain" }), slotOf), { kind: "done" });
  });
});

describe("plan: the workload drifted from the members", () => {
  it("scales pods without a member back down", () => {
    const o = cluster(3, {}, { replicas: 5, pods: [0, 1, 2, 3, 4].map((k) => runningPod(k)) });
    assert.equal(describeNext(o, 3), "etcd-3: scale to 3 replica(s) (stop pod)");
  });

  it("restores the pods of voters whose volumes still exist", () => {
    const o = cluster(3, {}, { replicas: 1, pods: [runningPod(0)] });
    assert.equal(describeNext(o, 3), "etcd-1: scale to 3 replica(s) (start pod)");
  });

  it("refuses to restore voters whose volumes are gone", () => {
    const o = cluster(3, {}, { replicas: 1, pods: [runningPod(0)], volumes: [0, 1] });
    assert.match(
      refusalOf(plan(o, goal(3), slotOf)),
      /cannot restore the pods of voters etcd-2 \(id a2000000000002, voter\)/,
    );
  });
});

describe("plan: refusals change nothing and name the members", () => {
  it("refuses when a voter does not answer, naming it and its pod", () => {
    const o = cluster(3);
    o.statuses[1] = { ordinal: 1, ok: false, error: "14 UNAVAILABLE: No connection established" };
    o.pods[1] = runningPod(1, { phase: "waiting", ready: false, lastTermination: "killed" });
    const reason = refusalOf(plan(o, goal(5), slotOf));
    assert.match(
      reason,
      /^the cluster is not healthy, so nothing was changed: etcd-1 \(id a1000000000001, voter\) does not answer: 14 UNAVAILABLE/,
    );
    assert.match(reason, /\[pod etcd-1: waiting, not ready, last exit: killed\]/);
  });

  it("refuses when a voter never started", () => {
    const o = cluster(3);
    o.cluster = {
      reachable: true,
      clusterId: "c",
      members: [memberAt(0), memberAt(1), memberAt(2, { name: "" })],
    };
    assert.match(
      refusalOf(plan(o, goal(1), slotOf)),
      /etcd-2 \(id a2000000000002, voter\) has not started/,
    );
  });

  it("refuses when a voter reports errors or no leader", () => {
    const o = cluster(3);
    o.statuses[2] = statusAt(2, 0, { errors: ["NOSPACE"] });
    assert.match(refusalOf(plan(o, goal(3), slotOf)), /etcd-2 .* reports errors: NOSPACE/);
    o.statuses[2] = statusAt(2, 0, { leader: undefined });
    assert.match(refusalOf(plan(o, goal(3), slotOf)), /etcd-2 .* knows no leader/);
  });

  it("refuses when the voters agree on no leader", () => {
    const o = cluster(2);
    o.statuses = [statusAt(0, 1), statusAt(1, 0)];
    assert.match(refusalOf(plan(o, goal(3), slotOf)), /no leader that its voters agree on/);
  });

  it("refuses while alarms are raised, naming the member and alarm", () => {
    const o = cluster(3, {}, { alarms: [{ memberId: idOf(1), alarm: "NOSPACE" }] });
    assert.match(
      refusalOf(plan(o, goal(3), slotOf)),
      /alarms are raised: etcd-1 \(id a1000000000001\): NOSPACE/,
    );
  });

  it("refuses a learner it did not create", () => {
    const o = cluster(2, { learner: { ordinal: 4, started: false } });
    const reason = refusalOf(plan(o, goal(3), slotOf));
    assert.match(
      reason,
      /unfinished learner this provider did not create: etcd-4 \(id a4000000000004, learner\)/,
    );
    assert.match(reason, /next member slot is ordinal 2/);
  });

  it("refuses members whose peer URL matches no slot", () => {
    const o = cluster(2);
    const stranger = memberAt(9, { id: "feed", name: "other", peerURLs: ["http://10.0.0.9:2380"] });
    o.cluster = { reachable: true, clusterId: "c", members: [memberAt(0), memberAt(1), stranger] };
    assert.match(
      refusalOf(plan(o, goal(3), slotOf)),
      /peer URL matches no member slot of this cluster: other \(id feed, peer URL http:\/\/10\.0\.0\.9:2380\)/,
    );
  });

  it("refuses a size it cannot reach safely when voters are out of order", () => {
    const o = cluster(3);
    o.cluster = { reachable: true, clusterId: "c", members: [memberAt(0), memberAt(2)] };
    assert.match(
      refusalOf(plan(o, goal(1), slotOf)),
      /cannot change the size safely: voters must hold ordinals 0\.\.1, but ordinal 1 has no member/,
    );
  });
});

describe("plan: done", () => {
  it("is done when members, pods and volumes match the goal", () => {
    assert.deepEqual(plan(cluster(3), goal(3), slotOf), { kind: "done" });
    assert.deepEqual(plan(cluster(1), goal(1, { bootstrap: true }), slotOf), { kind: "done" });
  });
});

describe("plan: a voter whose pod is being replaced (rollout, deleted pod)", () => {
  const down = { ordinal: 2, ok: false as const, error: "14 UNAVAILABLE: connect ECONNREFUSED" };
  const withPod = (pod: Observation["pods"][number] | undefined) => {
    const o = cluster(3);
    o.statuses[2] = down;
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
      assert.match(refusalOf(plan(withPod(pod), goal(5), slotOf)), /etcd-2 .* does not answer/);
  });

  it("refuses when another voter fails at the same time, naming both", () => {
    const o = withPod(undefined);
    o.statuses[1] = { ordinal: 1, ok: false, error: "deadline exceeded" };
    o.pods[1] = runningPod(1, { phase: "waiting", ready: false, restarts: 3 });
    const reason = refusalOf(plan(o, goal(5), slotOf));
    assert.match(reason, /etcd-1 .* does not answer: deadline exceeded/);
    assert.match(reason, /etcd-2 .* does not answer/);
  });
});
