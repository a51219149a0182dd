/** 1→5→3→1 on etcd 3.5 (127.0.18.x). */
import { describe, it } from "node:test";
import { assertConverged, scaleTo, writeData } from "./scenario";
import { clusterForSuite } from "./suiteCluster";

describe("scale 1→5→3→1, etcd 3.5", () => {
  const { c, data } = clusterForSuite("big", "127.0.18", "3.5");

  it("1→5", async () => {
    await scaleTo(c, 1, "Delete");
    await writeData(c, 1, data, "one");
    await scaleTo(c, 5, "Delete");
    await writeData(c, 5, data, "five");
    await assertConverged(c, 5, data);
  });

  it("5→3", async () => {
    await scaleTo(c, 3, "Delete");
    await writeData(c, 3, data, "three");
    await assertConverged(c, 3, data);
  });

  it("3→1", async () => {
    await scaleTo(c, 1, "Delete");
    await assertConverged(c, 1, data);
  });
});
