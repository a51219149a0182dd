/**
 * The provider process killed for real (SIGKILL) while it changes the membership, then run again
 * (etcd 3.5, 127.0.22.x). The runner is a separate node process driving the same local workload.
 */
import * as assert from "node:assert/strict";
import * as childProcess from "node:child_process";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { EtcdAdmin } from "../../providers/etcd/admin";
import type { RunnerSpec } from "../harness/reconcileRunner";
import { type LocalCluster, localCluster } from "../harness/localCluster";
import { assertConverged, clientURL, scaleTo, writeData } from "./scenario";

const RUNNER = path.join(__dirname, "..", "harness", "reconcileRunner.js");

interface Ended {
  signal: NodeJS.Signals | null;
  code: number | null;
  output: string;
}

/** Runs the reconciler in a child; `killWhen` lets the parent SIGKILL it on a progress line. */
function runChild(spec: RunnerSpec, killWhen?: RegExp): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = childProcess.spawn(process.execPath, [RUNNER, JSON.stringify(spec)]);
    let output = "";
    const take = (chunk: Buffer) => {
      output += chunk.toString();
      if (killWhen?.test(output) && child.exitCode === null) child.kill("SIGKILL");
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, output }));
  });
}

describe("provider process killed, then rerun", () => {
  const c: LocalCluster = localCluster("kil", "127.0.22", "3.5");
  const data = new Map<string, string>();
  const admin = new EtcdAdmin();
  const spec = (size: number, killBefore?: RunnerSpec["killBefore"]): RunnerSpec => ({
    options: c.options,
    clusterName: "kil",
    goal: { size, volumePolicy: "Delete", bootstrap: false },
    killBefore,
  });
  after(async () => {
    admin.close();
    await c.dispose();
  });

  it("killed after adding a learner, before starting its pod", async () => {
    await scaleTo(c, 3, "Delete", { bootstrap: true });
    await writeData(c, 3, data, "before");
    const ended = await runChild(spec(5, "scale"));
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
    const ended = await runChild(spec(5), /kil-3: learner caught up, promote to voter/);
    assert.equal(ended.signal, "SIGKILL", ended.output);
  });

  it("the rerun resumes and reaches 5 members with no learner left", async () => {
    await scaleTo(c, 5, "Delete", { label: "kil rerun after kills →5" });
    await assertConverged(c, 5, data);
  });

  it("killed during a scale-down before deleting a volume; the rerun finishes it", async () => {
    const ended = await runChild(spec(3, "delete-volume"));
    assert.equal(ended.signal, "SIGKILL", ended.output);
    assert.match(ended.output, /kil-4: remove member/);
    assert.deepEqual(await c.workload.volumes(), [0, 1, 2, 3, 4]);
    await scaleTo(c, 3, "Delete", { label: "kil rerun after kill →3" });
    await assertConverged(c, 3, data);
  });
});
