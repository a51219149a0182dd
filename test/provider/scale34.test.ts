/** 1→3→1→3 on Debian's etcd 3.4.23, with each volume policy (127.0.13.x and 127.0.17.x). */
import { describe, it } from "node:test";
import type { VolumePolicy } from "../../model/config/rules";
import { assertConverged, scaleTo, writeData } from "./scenario";
import { clusterForSuite } from "./suiteCluster";

function scenario(policy: VolumePolicy, ipPrefix: string) {
  describe(`scale 1→3→1→3, volume policy ${policy}, etcd 3.4`, () => {
    const { c, data } = clusterForSuite(`v34${policy.toLowerCase()}`, ipPrefix, "3.4");

    it("1→3", async () => {
      await scaleTo(c, 1, policy);
      await writeData(c, 1, data, "one");
      await scaleTo(c, 3, policy);
      await assertConverged(c, 3, data);
    });

    it("3→1", async () => {
      await scaleTo(c, 1, policy);
      await writeData(c, 1, data, "back-to-one");
      await assertConverged(c, 1, data, policy);
    });

    it("1→3 again", async () => {
      await scaleTo(c, 3, policy);
      await assertConverged(c, 3, data);
    });
  });
}

scenario("Delete", "127.0.13");
scenario("Retain", "127.0.17");
