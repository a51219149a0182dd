/** The highest ordinal leads when it is removed: leadership moves first (etcd 3.5, 127.0.20.x). */
import * as assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { EtcdAdmin } from "../../providers/etcd/admin";
import { assertConverged, clientURL, scaleTo, writeData } from "./scenario";
import { clusterForSuite } from "./suiteCluster";

describe("removing the member that leads", () => {
  const admin = new EtcdAdmin();
  after(() => admin.close());
  const { c, data } = clusterForSuite("lead", "127.0.20", "3.5");

  async function leaderOrdinal(): Promise<number> {
    for (const k of [0, 1, 2]) {
      const s = await admin.status(clientURL(c, k));
      if (s.leader === s.memberId) return k;
    }
    throw new Error("no member leads");
  }

  it("moves leadership away from the highest ordinal before removing it", async () => {
    await scaleTo(c, 3, "Delete");
    await writeData(c, 3, data, "before");
    const highest = await admin.status(clientURL(c, 2));
    const leader = await leaderOrdinal();
    if (leader !== 2) await admin.moveLeader(clientURL(c, leader), highest.memberId);
    assert.equal(await leaderOrdinal(), 2, "lead-2 leads before the scale-down");

    const { steps } = await scaleTo(c, 2, "Delete");
    assert.match(steps[0].description, /^lead-2: move leadership to lead-[01]$/);
    assert.deepEqual(
      steps.slice(1, 3).map((s) => s.description),
      [
        "lead-2: remove the pod's voter label (the PodDisruptionBudget no longer counts it)",
        "lead-2: remove member",
      ],
    );
    assert.notEqual(await leaderOrdinal(), 2);
    await writeData(c, 2, data, "after");
    await assertConverged(c, 2, data);
  });
});
