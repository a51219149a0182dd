/**
 * A stale data directory for an ordinal being re-added is never reused: the removed member's
 * retained volume is deleted before its ordinal joins again as a new member (etcd 3.5, 127.0.24.x).
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { EtcdAdmin } from "../../providers/etcd/admin";
import { assertConverged, clientURL, scaleTo, writeData } from "./scenario";
import { clusterForSuite } from "./suiteCluster";

describe("a stale volume at a re-added ordinal", () => {
  const admin = new EtcdAdmin();
  after(() => admin.close());
  const { c, data } = clusterForSuite("st", "127.0.24", "3.5");

  it("is deleted before the ordinal joins again, and the new member starts clean", async () => {
    await scaleTo(c, 3, "Retain");
    await writeData(c, 3, data, "first");
    const oldId = (await admin.status(clientURL(c, 2))).memberId;
    await scaleTo(c, 2, "Retain");
    const marker = path.join(c.workload.volumeDir(2), "data", "left-by-the-removed-member");
    fs.writeFileSync(marker, oldId);
    assert.ok(
      fs.existsSync(path.join(c.workload.volumeDir(2), "data", "member")),
      "old data is there",
    );

    const { steps } = await scaleTo(c, 3, "Retain");
    assert.equal(
      steps[0].description,
      "st-2: delete stale volume data-st-2 (its member left the cluster)",
    );
    assert.equal(fs.existsSync(marker), false, "the old data directory is gone");
    const newId = (await admin.status(clientURL(c, 2))).memberId;
    assert.notEqual(newId, oldId, "ordinal 2 joined as a new member");
    const [pod] = (await c.workload.pods()).filter((p) => p.ordinal === 2);
    assert.equal(pod.restarts, 0, "no restart loop");
    await assertConverged(c, 3, data);
  });
});
