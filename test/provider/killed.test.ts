/**
 * The provider process killed for real (SIGKILL) while it changes the membership, then run again
 * (etcd 3.5, 127.0.22.x). The runner is a separate node process driving the same local workload.
 */
import * as assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { EtcdAdmin } from "../../providers/etcd/admin";
import type { RunnerSpec } from "../harness/reconcileRunner";
import { runReconciler } from "../harness/runReconciler";
import { assertConverged, clientURL, scaleTo, testGoal, writeData } from "./scenario";
import { clusterForSuite } from "./suiteCluster";

describe("provider process killed, then rerun", () => {
  const admin = new EtcdAdmin();
  after(() => admin.close());
  const { c, data } = clusterForSuite("kil", "127.0.22", "3.5");
  const spec = (size: number, killBefore?: RunnerSpec["killBefore"]): RunnerSpec => ({
    options: c.options,
    clusterName: "kil",
    goal: testGoal(size, "Delete"),
    killBefore,
  });

  it("killed after adding a learner, before starting its pod", async () => {
    await scaleTo(c, 3, "Delete");
    await writeData(c, 3, data, "before");
    const ended = await runReconciler(spec(5, "scale"));
    assert.equal(ended.signal, "SIGKILL", ended.output);
    assert.match(ended.output, /kil-3: add as learner/);
    const members = (await admin.memberList(clientURL(c, 0))).members;
    assert.deepEqual(
      members.filter((m) => m.isLearner).map((m) => m.peerURLs[0]),
      [c.workload.slot(3).peerURL],
      "the learner was added",
    );
    assert.equal(await c.workload.replicas(), 3, "its pod was not started");
  });

  it("killed by the parent while promoting, at whatever point that lands", async () => {
    const ended = await runReconciler(spec(5), /kil-3: learner caught up, promote to voter/);
    assert.equal(ended.signal, "SIGKILL", ended.output);
  });

  it("the rerun resumes and reaches 5 members with no learner left", async () => {
    await scaleTo(c, 5, "Delete", { label: "kil rerun after kills →5" });
    await assertConverged(c, 5, data);
  });

  it("killed during a scale-down before deleting a volume; the rerun finishes it", async () => {
    const ended = await runReconciler(spec(3, "delete-volume"));
    assert.equal(ended.signal, "SIGKILL", ended.output);
    assert.match(ended.output, /kil-4: remove member/);
    assert.deepEqual(
      (await c.workload.volumes()).map((v) => v.ordinal),
      [0, 1, 2, 3, 4],
    );
    await scaleTo(c, 3, "Delete", { label: "kil rerun after kill →3" });
    await assertConverged(c, 3, data);
  });
});
