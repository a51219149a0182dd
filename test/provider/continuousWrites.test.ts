/**
 * 3→5→3 while a client writes without pause: every acknowledged write is readable at the end
 * (etcd 3.5, 127.0.19.x). Writes go through members 0-2, which stay throughout.
 */
import * as assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { type LocalCluster, localCluster } from "../harness/localCluster";
import { ContinuousWriter } from "../harness/writer";
import { assertConverged, clientURL, scaleTo } from "./scenario";

describe("scaling 3→5→3 under continuous writes", () => {
  const c: LocalCluster = localCluster("wr", "127.0.19", "3.5");
  let writer: ContinuousWriter | undefined;
  after(async () => {
    await writer?.stop();
    await c.dispose();
  });

  it("loses no acknowledged write", async () => {
    await scaleTo(c, 3, "Delete");
    writer = new ContinuousWriter([0, 1, 2].map((k) => clientURL(c, k)));
    await scaleTo(c, 5, "Delete");
    const duringGrowth = writer.acknowledged.size;
    await scaleTo(c, 3, "Delete");
    await writer.stop();
    console.log(
      `[writes] acknowledged ${writer.acknowledged.size} (${duringGrowth} by the end of 3→5), not acknowledged ${writer.failed}`,
    );
    assert.ok(
      duringGrowth > 0 && writer.acknowledged.size > duringGrowth,
      "writes went on throughout",
    );
    await assertConverged(c, 3, writer.acknowledged);
  });
});
