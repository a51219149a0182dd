/**
 * Refusals on a live cluster change nothing and name the members concerned: a member process
 * killed before a scale-up, an alarm, a learner the provider did not create, a member at a foreign
 * peer URL (etcd 3.5, 127.0.23.x).
 */
import * as assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { pollUntil } from "../../providers/backoff";
import { EtcdAdmin } from "../../providers/etcd/admin";
import type { EtcdMember } from "../../providers/etcd/types";
import { isMembershipRefusal } from "../../providers/membership/reconciler";
import { decimalId } from "../../providers/etcd/ids";
import { dataClient } from "../harness/localCluster";
import { assertConverged, clientURL, scaleTo, writeData } from "./scenario";
import { clusterForSuite } from "./suiteCluster";

describe("refusals on a live cluster", () => {
  const admin = new EtcdAdmin();
  after(() => admin.close());
  const { c, data } = clusterForSuite("ref", "127.0.23", "3.5");

  /** Everything a refused run must leave as it was. */
  async function snapshot() {
    const list = await admin.memberList(clientURL(c, 0));
    return {
      members: list.members.map((m: EtcdMember) => [m.id, m.peerURLs[0], m.isLearner]).sort(),
      replicas: await c.workload.replicas(),
      volumes: await c.workload.volumes(),
      join: await c.workload.readRecord(),
    };
  }

  async function refusal(size: number): Promise<string> {
    const before = await snapshot();
    let message = "";
    await assert.rejects(scaleTo(c, size, "Delete"), (e: Error) => {
      assert.ok(isMembershipRefusal(e), e.message);
      message = e.message;
      return true;
    });
    assert.deepEqual(await snapshot(), before, "nothing changed");
    console.log(`[refusal] ${message}`);
    return message;
  }

  it("refuses to scale up while a member process is down, naming it", async () => {
    await scaleTo(c, 3, "Delete");
    await writeData(c, 3, data, "before");
    const pid = c.workload.pid(1);
    assert.ok(pid);
    process.kill(pid, "SIGKILL");
    const message = await refusal(5);
    assert.match(
      message,
      /the cluster is not healthy, so nothing was changed: ref-1 \(id [0-9a-f]+, voter\) does not answer/,
    );
    assert.match(message, /\[pod ref-1: waiting, not ready/);
  });

  it("works again once the member is back", async () => {
    await c.workload.scale(3);
    const back = await pollUntil({ budgetMs: 30_000, initialDelayMs: 20, maxDelayMs: 250 }, () =>
      admin.status(clientURL(c, 1)).then(
        (s) => (s.leader ? s : undefined),
        () => undefined,
      ),
    );
    assert.ok(back, "ref-1 answers again");
    await scaleTo(c, 3, "Delete");
    await assertConverged(c, 3, data);
  });

  it("refuses while an alarm is raised, naming the member and the alarm", async () => {
    const member = await admin.status(clientURL(c, 2));
    const alarmClient = dataClient([clientURL(c, 0)]);
    try {
      await alarmClient.maintenance.alarm({
        action: "Activate",
        memberID: decimalId(member.memberId),
        alarm: "Nospace",
      });
      const message = await refusal(5);
      assert.match(
        message,
        new RegExp(`alarms are raised: ref-2 \\(id ${member.memberId}\\): NOSPACE`),
      );
      assert.match(message, /NOSPACE \(ref-2\): a database reached its space quota/);
      assert.match(message, /npm run defrag -- .*then disarm \(etcdctl alarm disarm\) and rerun/);
    } finally {
      await alarmClient.maintenance.alarm({
        action: "Deactivate",
        memberID: decimalId(member.memberId),
        alarm: "Nospace",
      });
      alarmClient.close();
    }
  });

  it("refuses a learner it did not create, naming it", async () => {
    const stranger = await admin.addLearner([clientURL(c, 0)], c.workload.slot(4).peerURL);
    const message = await refusal(4);
    assert.match(
      message,
      new RegExp(
        `unfinished learner this provider did not create: ref-4 \\(id ${stranger.id}, learner\\)`,
      ),
    );
    await admin.remove(clientURL(c, 0), stranger.id);
  });

  it("refuses a member whose peer URL matches no slot, naming it", async () => {
    const stranger = await admin.addLearner([clientURL(c, 0)], "http://127.0.23.200:2380");
    const message = await refusal(3);
    assert.match(
      message,
      new RegExp(
        `peer URL matches no member slot of this cluster: \\(unstarted\\) \\(id ${stranger.id}, peer URL http://127.0.23.200:2380\\)`,
      ),
    );
    await admin.remove(clientURL(c, 0), stranger.id);
    await assertConverged(c, 3, data);
  });
});
