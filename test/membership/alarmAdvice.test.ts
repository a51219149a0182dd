/** The refusal while alarms are raised: exact advice per alarm kind, naming members and alarms. */
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { alarmRefusal } from "../../providers/membership/alarmAdvice";
import { plan } from "../../providers/membership/plan";
import { cluster, goal, idOf, slotOf } from "./observations";
import { refusalOf } from "./decisions";

const NOSPACE_ADVICE =
  "a database reached its space quota (--quota-backend-bytes, 2 GiB by default) and the cluster now takes only reads and deletes. " +
  "Compare each member's DB SIZE with the quota (etcdctl endpoint status --cluster -w table); delete keys you no longer need; " +
  "compact the history to the current revision (etcdctl compact <revision>); defragment the members one at a time " +
  "(npm run defrag -- --namespace <namespace> --cluster-name <name>); then disarm (etcdctl alarm disarm) and rerun. " +
  "If the data needs the space, raise the quota instead of deleting.";
const CORRUPT_ADVICE =
  "a member's data differs from the others'. Do not disarm yet: that would let diverged data serve reads. " +
  "Find the corrupt member by comparing hashes at one revision (etcdctl endpoint hashkv --cluster; the odd one out is corrupt, " +
  "the alarm names the member that found it or was found). Replace it on an empty volume, e.g. for ";
const members = [0, 1, 2].map((k) => ({ id: idOf(k), slot: slotOf(k) }));

describe("alarm refusal", () => {
  it("says how to free space for NOSPACE, naming every member that raised it", () => {
    const alarms = [
      { memberId: idOf(1), alarm: "NOSPACE" },
      { memberId: idOf(2), alarm: "NOSPACE" },
    ];
    assert.equal(
      refusalOf(plan(cluster(3, {}, { alarms }), goal(5), slotOf)),
      `alarms are raised: etcd-1 (id ${idOf(1)}): NOSPACE, etcd-2 (id ${idOf(2)}): NOSPACE; nothing was changed. ` +
        `NOSPACE (etcd-1, etcd-2): ${NOSPACE_ADVICE}`,
    );
  });

  it("says not to disarm CORRUPT and how to replace the member on an empty volume", () => {
    const alarms = [{ memberId: idOf(2), alarm: "CORRUPT" }];
    assert.equal(
      alarmRefusal(alarms, members),
      `alarms are raised: etcd-2 (id ${idOf(2)}): CORRUPT; nothing was changed. ` +
        `CORRUPT (etcd-2): ${CORRUPT_ADVICE}etcd-2: etcdctl member remove ${idOf(2)}; ` +
        "kubectl -n <namespace> delete pvc/data-etcd-2 pod/etcd-2; " +
        `etcdctl member add etcd-2 --learner --peer-urls=${slotOf(2).peerURL}; once it has caught up, etcdctl member promote <new id>. ` +
        "Then disarm (etcdctl alarm disarm) and rerun.",
    );
  });

  it("gives both pieces of advice, and names members outside the cluster's slots by id", () => {
    const alarms = [
      { memberId: "feed", alarm: "CORRUPT" },
      { memberId: idOf(0), alarm: "NOSPACE" },
    ];
    assert.equal(
      alarmRefusal(alarms, members),
      `alarms are raised: member feed (id feed): CORRUPT, etcd-0 (id ${idOf(0)}): NOSPACE; nothing was changed. ` +
        `NOSPACE (etcd-0): ${NOSPACE_ADVICE} ` +
        `CORRUPT (member feed): ${CORRUPT_ADVICE}member feed: etcdctl member remove feed. ` +
        "Then disarm (etcdctl alarm disarm) and rerun.",
    );
  });

  it("asks to resolve and disarm an alarm of another kind", () => {
    assert.equal(
      alarmRefusal([{ memberId: idOf(0), alarm: "UNKNOWN" }], members),
      `alarms are raised: etcd-0 (id ${idOf(0)}): UNKNOWN; nothing was changed. ` +
        "UNKNOWN: resolve the cause, disarm (etcdctl alarm disarm), then rerun.",
    );
  });
});
