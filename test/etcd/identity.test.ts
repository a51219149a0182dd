/**
 * The cluster ID member 0 founds is computed ahead from its peer URL and the token, as etcd 3.4
 * and 3.5 derive it; the provider records a founding only when etcd answers with exactly that ID.
 */
import * as assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { pollUntil } from "../../providers/backoff";
import { EtcdAdmin } from "../../providers/etcd/admin";
import { foundedIdentity } from "../../providers/etcd/identity";
import type { EtcdVersion } from "../harness/etcdBinaries";
import { type LocalCluster, localCluster } from "../harness/localCluster";

for (const [version, prefix] of [
  ["3.4", "127.0.47"],
  ["3.5", "127.0.48"],
] as Array<[EtcdVersion, string]>)
  describe(`founded identity on etcd ${version}`, () => {
    const c: LocalCluster = localCluster(`id${version.replace(".", "")}`, prefix, version);
    const admin = new EtcdAdmin();
    after(async () => {
      admin.close();
      await c.dispose();
    });

    it("member 0 founds exactly the cluster the token and its peer URL predict", async () => {
      const token = `founding-${version}-${Date.now()}`;
      await c.workload.writeRecord({ owner: "test", token, members: {} });
      await c.workload.scale(1);
      const url = `http://${c.workload.ip(0)}:2379`;
      const status = await pollUntil(
        { budgetMs: 30_000, initialDelayMs: 50, maxDelayMs: 500 },
        () => admin.status(url).catch(() => undefined),
      );
      assert.ok(status, "member 0 answers");
      assert.deepEqual(
        { memberId: status.memberId, clusterId: status.clusterId },
        foundedIdentity(c.workload.slot(0).peerURL, token),
      );
      assert.notDeepEqual(
        foundedIdentity(c.workload.slot(0).peerURL, `${token}-other`),
        foundedIdentity(c.workload.slot(0).peerURL, token),
        "another token, another cluster",
      );
    });
  });
