/**
 * A wait that cannot end gives up after its budget, naming what it waited for and what it saw
 * last; the rerun resumes once the cause is gone (etcd 3.5, 127.0.25.x). The learner's pod cannot
 * start because its peer port is taken.
 */
import * as assert from "node:assert/strict";
import * as net from "node:net";
import { after, describe, it } from "node:test";
import { type LocalCluster, localCluster } from "../harness/localCluster";
import { assertConverged, scaleTo, writeData } from "./scenario";

describe("a wait that times out", () => {
  const c: LocalCluster = localCluster("wt", "127.0.25", "3.5");
  const data = new Map<string, string>();
  // Holds the learner's peer port; the leader keeps dialling it, so closing must drop those sockets.
  const sockets = new Set<net.Socket>();
  const squatter = net.createServer((socket) => sockets.add(socket));
  const release = async () => {
    if (!squatter.listening) return;
    const closed = new Promise((resolve) => squatter.close(resolve));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  after(async () => {
    await release();
    await c.dispose();
  });

  it("names the learner it waited for and its pod's last exit", async () => {
    await scaleTo(c, 1, "Delete");
    await writeData(c, 1, data, "before");
    await new Promise<void>((resolve) => squatter.listen(2380, c.workload.ip(1), resolve));
    await assert.rejects(scaleTo(c, 2, "Delete", { waitBudgetMs: 2_000 }), (e: Error) => {
      console.log(`[wait timeout] ${e.message}`);
      assert.match(
        e.message,
        /gave up after 2 s: wt-1: wait until the learner has started and caught up with the leader; last observed: replicas 2;/,
      );
      assert.match(e.message, /pod wt-1: waiting, not ready, last exit: .*address already in use/);
      assert.match(e.message, /wt-1 \(id [0-9a-f]+, learner\) unstarted/);
      return true;
    });
  });

  it("the rerun resumes the same learner once its pod can start", async () => {
    await release();
    await c.workload.scale(2);
    const { steps } = await scaleTo(c, 2, "Delete");
    assert.deepEqual(
      steps.map((s) => s.kind).filter((k) => k === "add-learner"),
      [],
      "no second learner was added",
    );
    await assertConverged(c, 2, data);
  });
});
