import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type PlanSubject, plannedChange } from "../../providers/membership/plannedChange";

const subject: PlanSubject = {
  clusterName: "etcd",
  namespace: "db",
  clusterDomain: "cluster.local",
  volumePolicy: "Delete",
};
const retain: PlanSubject = { ...subject, volumePolicy: "Retain" };

describe("plannedChange", () => {
  it("on create bootstraps member 0 and grows by learners", () => {
    assert.deepEqual(plannedChange(undefined, 3, subject), {
      members: ["etcd-0", "etcd-1", "etcd-2"],
      plan: "bootstrap etcd-0, then add etcd-1, etcd-2 as learners one at a time, promoting each",
    });
    assert.deepEqual(plannedChange(undefined, 1, subject), {
      members: ["etcd-0"],
      plan: "bootstrap etcd-0",
    });
    assert.equal(
      plannedChange(undefined, 2, subject).plan,
      "bootstrap etcd-0, then add etcd-1 as a learner, then promote it",
    );
  });

  it("lists every member added on scale up", () => {
    assert.deepEqual(plannedChange(3, 5, subject), {
      members: ["etcd-0", "etcd-1", "etcd-2", "etcd-3", "etcd-4"],
      plan: "add etcd-3, etcd-4 as learners one at a time, promoting each",
    });
    assert.equal(plannedChange(3, 4, subject).plan, "add etcd-3 as a learner, then promote it");
  });

  it("lists every member removed on scale down, highest first, with the volume policy", () => {
    assert.deepEqual(plannedChange(5, 3, subject), {
      members: ["etcd-0", "etcd-1", "etcd-2"],
      plan: "remove etcd-4, then etcd-3 (leader moved first if needed) and delete their volumes",
    });
    assert.equal(
      plannedChange(5, 3, retain).plan,
      "remove etcd-4, then etcd-3 (leader moved first if needed) and keep their volumes until re-added",
    );
    assert.equal(
      plannedChange(5, 2, subject).plan,
      "remove etcd-4, etcd-3, then etcd-2 (leader moved first if needed) and delete their volumes",
    );
    assert.equal(
      plannedChange(2, 1, retain).plan,
      "remove etcd-1 (leader moved first if needed) and keep its volume until re-added",
    );
  });

  it("says so when nothing changes", () => {
    assert.deepEqual(plannedChange(3, 3, { ...subject, clusterName: "main" }), {
      members: ["main-0", "main-1", "main-2"],
      plan: "no membership change",
    });
  });
});
