/** 1→3→1→3 with the Retain volume policy on etcd 3.5 (127.0.12.x). */
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertConverged, scaleTo, writeData } from "./scenario";
import { clusterForSuite } from "./suiteCluster";

describe("scale 1→3→1→3, volume policy Retain, etcd 3.5", () => {
  const { c, data } = clusterForSuite("ret", "127.0.12", "3.5");

  it("creates 1 and grows to 3", async () => {
    await scaleTo(c, 1, "Retain");
    await writeData(c, 1, data, "one");
    await scaleTo(c, 3, "Retain");
    await writeData(c, 3, data, "three");
    await assertConverged(c, 3, data);
  });

  it("shrinks to 1 and keeps the removed members' volumes", async () => {
    await scaleTo(c, 1, "Retain");
    assert.deepEqual(
      (await c.workload.volumes()).map((v) => v.ordinal),
      [0, 1, 2],
    );
    await writeData(c, 1, data, "back-to-one");
    await assertConverged(c, 1, data, "Retain");
  });

  it("grows to 3 again, deleting each retained volume as stale just before its re-add", async () => {
    const { steps } = await scaleTo(c, 3, "Retain");
    const order = steps.map((s) => s.description).filter((d) => /stale|add as learner/.test(d));
    assert.deepEqual(order, [
      "ret-1: delete stale volume data-ret-1 (its member left the cluster)",
      "ret-1: add as learner",
      "ret-2: delete stale volume data-ret-2 (its member left the cluster)",
      "ret-2: add as learner",
    ]);
    await assertConverged(c, 3, data);
  });
});
