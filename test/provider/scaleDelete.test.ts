/** 1→3→1→3 with the Delete volume policy on etcd 3.5 (127.0.11.x). */
import { describe, it } from "node:test";
import { assertConverged, scaleTo, writeData } from "./scenario";
import { clusterForSuite } from "./suiteCluster";

describe("scale 1→3→1→3, volume policy Delete, etcd 3.5", () => {
  const { c, data } = clusterForSuite("del", "127.0.11", "3.5");

  it("creates a one-member cluster", async () => {
    await scaleTo(c, 1, "Delete");
    await writeData(c, 1, data, "one");
    await assertConverged(c, 1, data);
  });

  it("grows to 3", async () => {
    await scaleTo(c, 3, "Delete");
    await writeData(c, 3, data, "three");
    await assertConverged(c, 3, data);
  });

  it("shrinks to 1, deleting the removed members' volumes", async () => {
    await scaleTo(c, 1, "Delete");
    await writeData(c, 1, data, "back-to-one");
    await assertConverged(c, 1, data);
  });

  it("grows to 3 again on fresh volumes", async () => {
    await scaleTo(c, 3, "Delete");
    await assertConverged(c, 3, data);
  });
});
