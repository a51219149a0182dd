/** The plan, part 2: growing by learners, the record that lets only the learner join. */
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ClusterRecord } from "../../providers/membership/record";
import { describeNext, planFor, refusalOf, stepOf } from "./decisions";
import {
  T,
  cluster,
  idOf,
  reading,
  recordOf,
  runningPod,
  slotOf,
  volume,
  waitingPod,
} from "./observations";

describe("plan: scale-up", () => {
  it("adds the next ordinal as a learner", () => {
    assert.deepEqual(stepOf(planFor(cluster(1), 3)), { kind: "add-learner", slot: slotOf(1) });
    assert.equal(describeNext(cluster(1), 3), "etcd-1: add as learner");
  });

  it("records the learner as joining before its pod may start: only it is named plainly", () => {
    const o = cluster(1, { learner: { ordinal: 1, started: false } });
    o.record = reading(recordOf([0]));
    const s = stepOf(planFor(o, 3));
    assert.deepEqual(s, {
      kind: "write-record",
      slot: slotOf(1),
      record: recordOf([0, 1], { joining: 1 }),
      purpose: "record",
      members: `etcd-0=${idOf(0)},etcd-1=${idOf(1)}`,
      joining: "etcd-1",
    });
    assert.equal(
      describeNext(o, 3),
      `etcd-1: record cluster c1c1c1c1c1c1c1c1, members etcd-0=${idOf(0)},etcd-1=${idOf(1)}; etcd-1 may join`,
    );
  });

  it("scales up once the record names the learner", () => {
    const o = cluster(1, { learner: { ordinal: 1, started: false } });
    assert.equal(describeNext(o, 3), "etcd-1: scale to 2 replica(s) (start pod)");
  });

  it("waits for an unstarted learner whose pod started after the record was written", () => {
    const o = cluster(1, { learner: { ordinal: 1, started: false } });
    o.replicas = 2;
    o.pods.push(runningPod(1, { createdAt: T.record + 1_000, voterLabel: false }));
    o.volumes.push(volume(1, T.record + 1_000));
    assert.equal(
      describeNext(o, 3),
      "etcd-1: wait until the learner has started and caught up with the leader",
    );
  });

  it("restarts a learner's pod that started before its join settings were written (F7)", () => {
    const o = cluster(1, { learner: { ordinal: 1, started: false } });
    o.replicas = 2;
    o.pods.push(
      runningPod(1, {
        phase: "waiting",
        ready: false,
        createdAt: T.record - 5_000,
        restarts: 4,
        voterLabel: false,
        lastTermination: 'exited with code 1: couldn\'t find local name "etcd-1"',
      }),
    );
    o.volumes.push(volume(1, T.record - 5_000));
    assert.deepEqual(stepOf(planFor(o, 3)), { kind: "restart-pod", slot: slotOf(1) });
  });

  it("in the record's own second (whole-second store times), restarts only a pod that failed", () => {
    const o = cluster(1, { learner: { ordinal: 1, started: false } });
    o.replicas = 2;
    o.pods.push(runningPod(1, { createdAt: T.record, voterLabel: false, ready: false }));
    o.volumes.push(volume(1, T.record));
    assert.equal(
      describeNext(o, 3),
      "etcd-1: wait until the learner has started and caught up with the leader",
      "a pod of the same second that runs is left alone",
    );
    o.pods[1] = { ...o.pods[1], lastTermination: "Unschedulable: persistentvolumeclaim not bound" };
    assert.equal(
      stepOf(planFor(o, 3)).kind,
      "wait",
      "a pod that is still being scheduled has read no settings yet",
    );
    o.pods[1] = { ...o.pods[1], restarts: 1, lastTermination: "exited with code 1" };
    assert.deepEqual(stepOf(planFor(o, 3)), { kind: "restart-pod", slot: slotOf(1) });
  });

  it("refuses, naming the pod's error, when a learner's pod started since keeps failing", () => {
    const o = cluster(1, { learner: { ordinal: 1, started: false } });
    o.replicas = 2;
    o.pods.push(
      waitingPod(1, {
        createdAt: T.record + 1_000,
        restarts: 3,
        started: true,
        lastTermination: "exited with code 1: permission denied",
      }),
    );
    const reason = refusalOf(planFor(o, 3));
    assert.match(
      reason,
      /^the learner etcd-1 \(id a1000000000001, learner\) does not start: pod etcd-1: waiting/,
    );
    assert.match(reason, /permission denied/);
  });

  it("waits while the learner is behind the leader, and promotes it once caught up", () => {
    const behind = cluster(1, { learner: { ordinal: 1, started: true, appliedIndex: 10 } });
    assert.equal(
      describeNext(behind, 3),
      "etcd-1: wait until the learner has started and caught up with the leader",
    );
    const caughtUp = cluster(1, { learner: { ordinal: 1, started: true, appliedIndex: 95 } });
    assert.deepEqual(stepOf(planFor(caughtUp, 3)), {
      kind: "promote",
      slot: slotOf(1),
      memberId: idOf(1),
    });
  });

  it("after the promotion, records that nobody joins, then labels the new voter's pod", () => {
    const o = cluster(2);
    o.record = reading(recordOf([0, 1], { joining: 1 }));
    const s = stepOf(planFor(o, 3));
    assert.equal(s.kind, "write-record");
    assert.equal((s as { record: ClusterRecord }).record.joining, undefined);
    const settled = cluster(2);
    settled.pods[1] = runningPod(1, { voterLabel: false });
    assert.deepEqual(stepOf(planFor(settled, 3)), { kind: "label", slot: slotOf(1), voter: true });
  });

  it("removes a started learner that keeps failing: it may have lost what it received", () => {
    const o = cluster(1, { learner: { ordinal: 1, started: true } });
    o.statuses = o.statuses.filter((s) => s.ordinal !== 1);
    o.pods[1] = waitingPod(1, {
      restarts: 3,
      started: true,
      lastTermination: "panic: tocommit(23) is out of range",
    });
    assert.deepEqual(stepOf(planFor(o, 3)), {
      kind: "remove-member",
      slot: slotOf(1),
      memberId: idOf(1),
      why: "learner",
    });
  });

  it("removes our own learner when the size no longer wants it", () => {
    const o = cluster(2, { learner: { ordinal: 2, started: true } });
    assert.equal(describeNext(o, 2), "etcd-2: remove unfinished learner");
  });

  it("deletes a retained volume at the next ordinal as stale before adding its learner", () => {
    const o = cluster(1, {}, { volumes: [volume(0), volume(1), volume(2)] });
    assert.equal(
      describeNext(o, 2, { volumePolicy: "Retain" }),
      "etcd-1: delete stale volume data-etcd-1 (its member left the cluster)",
    );
  });

  it("under the Delete policy deletes every leftover volume first, highest first", () => {
    const o = cluster(1, {}, { volumes: [volume(0), volume(1), volume(2)] });
    assert.equal(describeNext(o, 3), "etcd-2: delete volume data-etcd-2");
  });

  it("refuses a learner at an unexpected ordinal, or a second one", () => {
    const o = cluster(1, { learner: { ordinal: 2, started: false } });
    assert.match(
      refusalOf(planFor(o, 3)),
      /^an unfinished learner this provider did not create: etcd-2 .* the next member slot is ordinal 1/,
    );
  });
});
