/**
 * The plan, part 1: what it does when no member answers, and how a cluster is founded. Every
 * decision rests on the record, the volumes' ages and the pods' history, never on whether this is
 * a create or an update (findings F1 and F3 of issue 9 among them).
 */
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { foundedIdentity } from "../../providers/etcd/identity";
import type { Observation } from "../../providers/membership/observation";
import type { ClusterRecord } from "../../providers/membership/record";
import { describeStep } from "../../providers/membership/steps";
import { describeNext, planFor, refusalOf, stepOf } from "./decisions";
import {
  CLUSTER_ID,
  LOCATION,
  OWNER,
  T,
  cluster,
  idOf,
  memberAt,
  reading,
  recordOf,
  runningPod,
  slotOf,
  statusAt,
  unreachable,
  volume,
  waitingPod,
} from "./observations";

/** A new StatefulSet: one pod waiting for its join settings, on a claim created after it. */
const freshWorkload = () =>
  unreachable({ replicas: 1, pods: [waitingPod(0)], volumes: [volume(0, T.workload + 500)] });

const founding: ClusterRecord = { owner: OWNER, token: "etcd-founding-token", members: {} };

describe("plan: founding a cluster where nothing can hold data", () => {
  it("records a new cluster with this run's token and owner, member 0 to found it", () => {
    const s = stepOf(planFor(freshWorkload(), 3));
    assert.deepEqual(s, {
      kind: "write-record",
      slot: slotOf(0),
      record: { owner: OWNER, token: "etcd-fresh-token", members: {} },
      purpose: "found",
      members: "",
    });
    assert.equal(
      describeStep(s),
      "etcd-0: record a new cluster: this member founds it on an empty volume",
    );
    assert.equal(stepOf(planFor(unreachable(), 1)).kind, "write-record", "also with no pod yet");
  });

  it("then starts one pod if there is none, and waits for member 0 to serve", () => {
    const recorded = reading(founding);
    assert.equal(
      describeNext(unreachable({ record: recorded }), 3),
      "etcd-0: scale to 1 replica(s) (start pod)",
    );
    const started = unreachable({
      record: recorded,
      replicas: 1,
      pods: [runningPod(0, { voterLabel: false })],
      volumes: [volume(0)],
    });
    assert.equal(
      describeNext(started, 3),
      "etcd-0: wait until the first member serves with a leader",
    );
  });

  it("writes a founding record again that was deleted by hand while pods wait for it", () => {
    const doomed = reading(founding, { doomed: true });
    const s = stepOf(planFor(unreachable({ record: doomed, replicas: 1 }), 3));
    assert.deepEqual([s.kind, (s as { purpose: string }).purpose], ["write-record", "restore"]);
  });

  it("records the cluster ID member 0 founded with the recorded token, and its member ID", () => {
    const founded = foundedIdentity(slotOf(0).peerURL, founding.token);
    const o = cluster(
      1,
      {},
      {
        cluster: {
          reachable: true,
          clusterId: founded.clusterId,
          members: [memberAt(0, { id: founded.memberId })],
        },
        statuses: [
          statusAt(0, 0, {
            clusterId: founded.clusterId,
            memberId: founded.memberId,
            leader: founded.memberId,
          }),
        ],
        record: reading(founding),
        pods: [runningPod(0, { voterLabel: false })],
      },
    );
    const s = stepOf(planFor(o, 3));
    assert.deepEqual(s, {
      kind: "write-record",
      slot: slotOf(0),
      record: {
        owner: OWNER,
        token: founding.token,
        clusterId: founded.clusterId,
        members: { 0: founded.memberId },
      },
      purpose: "record",
      members: `etcd-0=${founded.memberId}`,
    });
    assert.equal(
      describeStep(s),
      `etcd-0: record cluster ${founded.clusterId}, members etcd-0=${founded.memberId}`,
    );
  });

  it("waits rather than refusing while the lone founding member has no leader yet", () => {
    const o = cluster(1, {}, { statuses: [statusAt(0, 0, { leader: undefined })] });
    assert.equal(describeNext(o, 3), "etcd-0: wait until the first member serves with a leader");
  });
});

describe("plan: evidence of an earlier cluster (F3: destroy, then create over kept volumes)", () => {
  it("refuses volumes older than the workload, naming them and what to do, changing nothing", () => {
    for (const size of [1, 3]) {
      const kept = Array.from({ length: size }, (_, k) => volume(k, T.workload - 60_000));
      const reason = refusalOf(
        planFor(unreachable({ replicas: 1, pods: [waitingPod(0)], volumes: kept }), size),
      );
      const names = kept.map((v) => `data-etcd-${v.ordinal}`).join(", ");
      assert.match(reason, new RegExp(`^volumes older than the workload exist: ${names}\\.`));
      assert.match(reason, /earlier cluster of this name/);
      assert.match(
        reason,
        /delete them and the pod\(s\) waiting on them \(etcd-0: they never started etcd\)/,
      );
      assert.match(reason, /restore it from a snapshot/);
    }
  });

  it("refuses a cluster served from volumes older than the workload that it did not found", () => {
    const o = cluster(1, {}, { record: reading(founding), volumes: [volume(0, T.workload - 1)] });
    const reason = refusalOf(planFor(o, 1));
    assert.match(
      reason,
      new RegExp(
        `^members answer as cluster ${CLUSTER_ID} from volumes older than the workload \\(data-etcd-0\\)`,
      ),
    );
  });

  it("takes over a cluster with no record whose volumes are its workload's own (F2: record lost)", () => {
    const o = cluster(3, {}, { record: undefined });
    const s = stepOf(planFor(o, 3));
    assert.deepEqual(s, {
      kind: "write-record",
      slot: slotOf(0),
      record: { ...recordOf([0, 1, 2]), token: "etcd-fresh-token" },
      purpose: "restore",
      members: `etcd-0=${idOf(0)},etcd-1=${idOf(1)},etcd-2=${idOf(2)}`,
    });
    assert.match(describeStep(s), /^etcd-0: write the missing cluster record again \(cluster c1c1/);
  });

  it("writes a record again that is being deleted, before anything else", () => {
    const o = cluster(3);
    o.record = { ...o.record!, doomed: true };
    const s = stepOf(planFor(o, 5));
    assert.deepEqual([s.kind, (s as { purpose: string }).purpose], ["write-record", "restore"]);
  });

  it("records a cluster whose join settings an earlier version wrote", () => {
    const o = cluster(2);
    o.record = { ...o.record!, record: undefined };
    const s = stepOf(planFor(o, 2));
    assert.equal(s.kind, "write-record");
    assert.equal((s as { record: ClusterRecord }).record.owner, OWNER);
  });

  it("without a record, lets members start on their own data only when a pod ran or more than one exists", () => {
    const cases: Array<[Observation, number[]]> = [
      [unreachable({ replicas: 1, pods: [runningPod(0)], volumes: [volume(0)] }), [0]],
      [
        unreachable({
          replicas: 1,
          pods: [waitingPod(0, { restarts: 2, started: true })],
          volumes: [volume(0)],
        }),
        [0],
      ],
      [
        unreachable({
          replicas: 3,
          pods: [0, 1, 2].map((k) => waitingPod(k)),
          volumes: [volume(0)],
        }),
        [0, 1, 2],
      ],
      [
        unreachable({ replicas: 1, pods: [waitingPod(0)], volumes: [volume(0), volume(1)] }),
        [0, 1],
      ],
    ];
    for (const [o, awaiting] of cases) {
      const s = stepOf(planFor(o, 3));
      assert.deepEqual(s, {
        kind: "write-record",
        slot: slotOf(0),
        record: { owner: OWNER, token: "etcd-fresh-token", members: {}, awaiting },
        purpose: "restore",
        members: "",
      });
      assert.match(
        describeStep(s),
        /^etcd-0: the cluster record is missing: let \d member\(s\) start on their own data only/,
      );
      // Their pods run (a pod beyond the replicas would be started first: see the next test).
      const recorded = {
        ...o,
        replicas: awaiting.length,
        record: reading((s as { record: ClusterRecord }).record),
      };
      const join = recorded.record.join;
      assert.deepEqual(
        [join.state, join.initialCluster.split(",").every((e) => /^etcd-\d\.started=/.test(e))],
        ["existing", true],
        "no member may found, join, or start on an empty volume",
      );
      assert.match(
        refusalOf(planFor(recorded, 3), true),
        /This cluster exists \(a cluster whose record was lost; etcd-0.* may start on their own data\)/,
      );
    }
  });
});

describe("plan: no member answers (F1: unobserved means untouched)", () => {
  it("starts the pods of members a lost record's settings let start, and only that", () => {
    const record: ClusterRecord = { owner: OWNER, token: "t", members: {}, awaiting: [0, 1, 2] };
    const o = unreachable({
      record: reading(record),
      replicas: 1,
      volumes: [0, 1, 2].map((k) => volume(k)),
    });
    assert.equal(describeNext(o, 3), "etcd-1: scale to 3 replica(s) (start pod)");
  });

  const recorded = reading(recordOf([0, 1]));

  it("never scales down, deletes a volume or rewrites the record of a recorded cluster", () => {
    const o = unreachable({
      record: recorded,
      replicas: 2,
      pods: [runningPod(0, { ready: false }), runningPod(1, { ready: false })],
      volumes: [volume(0), volume(1)],
    });
    for (const size of [1, 2, 3]) {
      const reason = refusalOf(planFor(o, size), true);
      assert.match(
        reason,
        /^no etcd member answers \(no client endpoint answered\); pod etcd-0: running, not ready/,
      );
      assert.match(
        reason,
        new RegExp(
          `This cluster exists \\(cluster ${CLUSTER_ID} with etcd-0=${idOf(0)},etcd-1=${idOf(1)}\\)`,
        ),
      );
      assert.match(reason, /no pod is stopped, no volume deleted and no join setting rewritten/);
    }
  });

  it("the same for a create retried after two voters joined: no bootstrap, no scale to one pod", () => {
    // The measured history of F1: the first create stopped with etcd-0 and etcd-1 as voters.
    const o = unreachable({ record: recorded, replicas: 2, volumes: [volume(0), volume(1)] });
    const d = planFor(o, 3);
    assert.equal(d.kind, "refuse");
  });

  it("starts the pods of recorded members that were stopped, and only that", () => {
    const o = unreachable({
      record: recorded,
      replicas: 1,
      pods: [runningPod(0)],
      volumes: [volume(0), volume(1)],
    });
    assert.equal(describeNext(o, 1), "etcd-1: scale to 2 replica(s) (start pod)");
  });

  it("refuses for join settings of an earlier version: a cluster exists", () => {
    const legacy = {
      location: LOCATION,
      join: {
        state: "existing" as const,
        initialCluster: `etcd-0=${slotOf(0).peerURL}`,
        token: "",
      },
      doomed: false,
    };
    const reason = refusalOf(planFor(unreachable({ record: legacy, replicas: 1 }), 3), true);
    assert.match(reason, /join settings in ConfigMap db\/etcd-join written by an earlier version/);
  });
});

describe("plan: a cluster of another owner", () => {
  it("is never changed, observed or not, and the refusal says how to hand it over", () => {
    const other = reading(recordOf([0, 1, 2], { owner: "etcd-k8s/staging/etcd" }));
    for (const o of [cluster(3, {}, { record: other }), unreachable({ record: other })]) {
      const reason = refusalOf(planFor(o, 5));
      assert.match(
        reason,
        /^the cluster record \(ConfigMap db\/etcd-join\) says this cluster is managed by etcd-k8s\/staging\/etcd, not by etcd-k8s\/prod\/etcd/,
      );
      assert.match(reason, /set the record's owner to etcd-k8s\/prod\/etcd/);
    }
  });
});

describe("plan: members that serve another cluster's data", () => {
  it("refuses when the record names another cluster ID", () => {
    const o = cluster(
      3,
      {},
      { record: reading(recordOf([0, 1, 2], { clusterId: "dddddddddddddddd" })) },
    );
    assert.match(
      refusalOf(planFor(o, 3)),
      /^the members answer as cluster c1c1c1c1c1c1c1c1, but the cluster record \(ConfigMap db\/etcd-join\) says cluster dddddddddddddddd/,
    );
  });

  it("refuses when a pod answers as a member of another cluster, naming its volume", () => {
    const o = cluster(3);
    o.statuses[2] = statusAt(2, 2, { clusterId: "eeeeeeeeeeeeeeee", memberId: "f00d" });
    assert.match(
      refusalOf(planFor(o, 3)),
      /^etcd-2 answers as member f00d of cluster eeeeeeeeeeeeeeee, but the cluster is c1c1c1c1c1c1c1c1: their volumes \(data-etcd-2\) hold another cluster's data/,
    );
  });
});
