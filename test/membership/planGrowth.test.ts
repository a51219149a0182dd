/** The plan, part 1: bootstrap and scale-up. */
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { plan } from "../../providers/membership/plan";
import { describeStep, initialCluster } from "../../providers/membership/steps";
import {
  cluster,
  goal,
  idOf,
  memberAt,
  runningPod,
  slotOf,
  statusAt,
  unreachable,
} from "./observations";
import { describeNext, refusalOf, stepOf } from "./decisions";

describe("plan: bootstrap (create only)", () => {
  it("writes the bootstrap join configuration first", () => {
    const s = stepOf(plan(unreachable(), goal(3, { bootstrap: true }), slotOf));
    assert.deepEqual(s, {
      kind: "write-join-config",
      slot: slotOf(0),
      config: { state: "new", initialCluster: `etcd-0=${slotOf(0).peerURL}` },
      purpose: "bootstrap",
    });
    assert.equal(describeStep(s), "etcd-0: write join configuration (new cluster of etcd-0)");
  });

  it("then starts one pod, then waits for the first member to serve", () => {
    const joinConfig = { state: "new" as const, initialCluster: `etcd-0=${slotOf(0).peerURL}` };
    assert.equal(
      describeNext(unreachable({ joinConfig }), 3, true),
      "etcd-0: scale to 1 replica(s) (start pod)",
    );
    const started = unreachable({ joinConfig, replicas: 1, pods: [runningPod(0)], volumes: [0] });
    assert.equal(
      describeNext(started, 3, true),
      "etcd-0: wait until the first member serves with a leader",
    );
  });

  it("waits instead of refusing while the first member has no leader yet", () => {
    const joinConfig = { state: "new" as const, initialCluster: `etcd-0=${slotOf(0).peerURL}` };
    const o = cluster(1, {}, { joinConfig, statuses: [statusAt(0, 0, { leader: undefined })] });
    assert.equal(
      describeNext(o, 3, true),
      "etcd-0: wait until the first member serves with a leader",
    );
  });

  it("marks the join configuration existing once member 0 serves", () => {
    const joinConfig = { state: "new" as const, initialCluster: `etcd-0=${slotOf(0).peerURL}` };
    const s = stepOf(plan(cluster(1, {}, { joinConfig }), goal(3, { bootstrap: true }), slotOf));
    assert.equal(s.kind, "write-join-config");
    assert.deepEqual((s as { config: unknown }).config, {
      state: "existing",
      initialCluster: `etcd-0=${slotOf(0).peerURL}`,
    });
  });

  it("proceeds when the only volume belongs to a pod the workload already runs", () => {
    const o = unreachable({
      replicas: 1,
      pods: [runningPod(0, { phase: "waiting", ready: false })],
      volumes: [0],
    });
    assert.equal(stepOf(plan(o, goal(1, { bootstrap: true }), slotOf)).kind, "write-join-config");
  });

  it("scales a pre-scaled workload down to one pod before bootstrapping", () => {
    const o = unreachable({ replicas: 3, volumes: [0, 1, 2] });
    assert.equal(describeNext(o, 3, true), "etcd-0: scale to 1 replica(s) (stop pod)");
  });

  it("refuses to create over volumes of an earlier cluster, naming them", () => {
    const reason = refusalOf(
      plan(unreachable({ volumes: [0, 2] }), goal(3, { bootstrap: true }), slotOf),
    );
    assert.match(reason, /volumes from an earlier cluster exist: data-etcd-0, data-etcd-2\./);
  });

  it("refuses to create over volumes of an earlier cluster whose member 0 came back", () => {
    const o = cluster(1, {}, { joinConfig: undefined, volumes: [0, 1, 2] });
    o.cluster = {
      reachable: true,
      clusterId: "c",
      members: [memberAt(0), memberAt(1, { name: "" }), memberAt(2, { name: "" })],
    };
    const reason = refusalOf(plan(o, goal(3, { bootstrap: true }), slotOf));
    assert.match(
      reason,
      /volumes from an earlier cluster exist: data-etcd-0, data-etcd-1, data-etcd-2/,
    );
  });

  it("resumes an interrupted create: its own join configuration marks the volumes as its own", () => {
    const o = cluster(1, { learner: { ordinal: 1, started: true } });
    assert.equal(stepOf(plan(o, goal(3, { bootstrap: true }), slotOf)).kind, "promote");
  });

  it("refuses on update when no member answers, naming the pods", () => {
    const o = unreachable({
      replicas: 1,
      pods: [
        runningPod(0, { phase: "waiting", ready: false, restarts: 4, lastTermination: "exit 1" }),
      ],
      volumes: [0],
    });
    const reason = refusalOf(plan(o, goal(3), slotOf));
    assert.match(reason, /no etcd member answers \(no client endpoint answered\)/);
    assert.match(reason, /pod etcd-0: waiting, not ready, 4 restart\(s\), last exit: exit 1/);
  });
});

describe("plan: scale up, one learner at a time", () => {
  it("adds the next ordinal as a learner", () => {
    const s = stepOf(plan(cluster(1), goal(3), slotOf));
    assert.deepEqual(s, { kind: "add-learner", slot: slotOf(1) });
    assert.equal(describeStep(s), "etcd-1: add as learner");
  });

  it("deletes a stale volume at the next ordinal before adding its learner", () => {
    const o = cluster(1, {}, { volumes: [0, 1] });
    assert.equal(
      describeStep(stepOf(plan(o, goal(3, { volumePolicy: "Retain" }), slotOf))),
      "etcd-1: delete stale volume data-etcd-1 (its member left the cluster)",
    );
  });

  it("under the Delete policy deletes every leftover volume first, highest first", () => {
    const o = cluster(1, {}, { volumes: [0, 1, 2] });
    assert.equal(describeNext(o, 3), "etcd-2: delete volume data-etcd-2");
  });

  it("deletes a retained volume as stale before its ordinal is re-added", () => {
    const o = cluster(2, {}, { volumes: [0, 1, 2, 3] });
    const s = stepOf(plan(o, goal(4, { volumePolicy: "Retain" }), slotOf));
    assert.deepEqual(s, { kind: "delete-volume", slot: slotOf(2), reason: "stale" });
  });

  it("writes the join configuration (live members plus the learner) before scaling", () => {
    const o = cluster(1, { learner: { ordinal: 1, started: false } });
    const s = stepOf(plan(o, goal(3), slotOf));
    assert.deepEqual(s, {
      kind: "write-join-config",
      slot: slotOf(1),
      config: {
        state: "existing",
        initialCluster: `etcd-0=${slotOf(0).peerURL},etcd-1=${slotOf(1).peerURL}`,
      },
      purpose: "join",
    });
  });

  it("scales up once the join configuration is written", () => {
    const o = cluster(2, { learner: { ordinal: 2, started: false } });
    o.joinConfig = { state: "existing", initialCluster: initialCluster([0, 1, 2].map(slotOf)) };
    assert.equal(describeNext(o, 3), "etcd-2: scale to 3 replica(s) (start pod)");
  });

  it("rewrites a join configuration that does not list the learner", () => {
    const o = cluster(
      2,
      { learner: { ordinal: 2, started: false } },
      {
        joinConfig: { state: "existing", initialCluster: `etcd-0=${slotOf(0).peerURL}` },
      },
    );
    assert.equal(stepOf(plan(o, goal(3), slotOf)).kind, "write-join-config");
  });

  it("waits for an unstarted learner whose pod runs", () => {
    const o = cluster(2, { learner: { ordinal: 2, started: false } }, { replicas: 3 });
    assert.equal(
      describeNext(o, 3),
      "etcd-2: wait until the learner has started and caught up with the leader",
    );
  });

  it("waits while the learner is behind the leader", () => {
    const o = cluster(2, { learner: { ordinal: 2, started: true, appliedIndex: 50 } });
    assert.deepEqual(stepOf(plan(o, goal(3), slotOf)), {
      kind: "wait",
      slot: slotOf(2),
      until: "caught-up",
    });
  });

  it("promotes a started learner that caught up", () => {
    const o = cluster(2, { learner: { ordinal: 2, started: true, appliedIndex: 95 } });
    const s = stepOf(plan(o, goal(3), slotOf));
    assert.deepEqual(s, { kind: "promote", slot: slotOf(2), memberId: idOf(2) });
    assert.equal(describeStep(s), "etcd-2: learner caught up, promote to voter");
  });

  it("removes our own learner when the size no longer wants it", () => {
    const o = cluster(2, { learner: { ordinal: 2, started: true } });
    const s = stepOf(plan(o, goal(2), slotOf));
    assert.deepEqual(s, {
      kind: "remove-member",
      slot: slotOf(2),
      memberId: idOf(2),
      learner: true,
    });
    assert.equal(describeStep(s), "etcd-2: remove unfinished learner");
  });
});
