/**
 * One membership change in flight, across processes (etcd 3.5, 127.0.46.x): a run holds the
 * change lease from start to end; a second run waits for it or refuses naming the holder, never
 * interleaving; a run whose engine (parent process) is gone stops before its next step and exits,
 * releasing the lease, and the next run resumes.
 */
import * as assert from "node:assert/strict";
import * as childProcess from "node:child_process";
import { describe, it } from "node:test";
import { pollUntil } from "../../providers/backoff";
import { isLeaseBusy } from "../../providers/membership/lease";
import { isAlive } from "../harness/localProcesses";
import type { RunnerSpec } from "../harness/reconcileRunner";
import { RUNNER, progressLines, runReconciler } from "../harness/runReconciler";
import { assertConverged, scaleTo, testGoal, writeData } from "./scenario";
import { clusterForSuite } from "./suiteCluster";

describe("one membership change in flight", () => {
  const { c, data } = clusterForSuite("one", "127.0.46", "3.5");
  const spec = (size: number, extra: Partial<RunnerSpec> = {}): RunnerSpec => ({
    options: c.options,
    clusterName: "one",
    goal: testGoal(size, "Delete"),
    ...extra,
  });

  it("a run refuses, naming the holder, while another holds the lease, and changes nothing", async () => {
    await scaleTo(c, 1, "Delete");
    await writeData(c, 1, data, "one");
    const held = await c.workload
      .lease()
      .acquire("a run started by hand", { durationMs: 30_000, waitMs: 0 });
    try {
      const replicas = await c.workload.replicas();
      await assert.rejects(
        scaleTo(c, 3, "Delete", { lease: { durationMs: 3_000, waitMs: 1_000 } }),
        (e: Error) => {
          assert.ok(isLeaseBusy(e), e.message);
          assert.match(e.message, /is being changed by a run started by hand/);
          return true;
        },
      );
      assert.equal(await c.workload.replicas(), replicas);
    } finally {
      await held.release();
    }
  });

  it("two runs started together never interleave: the second waits, then finds nothing to do", async () => {
    const [first, second] = await Promise.all([runReconciler(spec(3)), runReconciler(spec(3))]);
    assert.equal(first.code, 0, first.output);
    assert.equal(second.code, 0, second.output);
    const a = progressLines(first.output).map((p) => p.at);
    const b = progressLines(second.output).map((p) => p.at);
    const [busy, idle] = a.length >= b.length ? [a, b] : [b, a];
    assert.ok(busy.length > 0, "one run did the work");
    for (const t of idle)
      assert.ok(
        t < busy[0] || t > busy[busy.length - 1],
        "no step of one run falls between the first and last step of the other",
      );
    await assertConverged(c, 3, data);
  });

  it("a run whose parent is killed stops before its next step, exits and frees the lease", async () => {
    // The parent stands in for the Pulumi engine: a shell that started the provider.
    const parent = childProcess.spawn(
      "sh",
      [
        "-c",
        `"${process.execPath}" "${RUNNER}" '${JSON.stringify(spec(5, { watchParent: true }))}'; true`,
      ],
      { stdio: ["ignore", "pipe", "pipe"], detached: true },
    );
    let output = "";
    parent.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    parent.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const started = await pollUntil(
      { budgetMs: 60_000, initialDelayMs: 20, maxDelayMs: 100 },
      async () => (/one-3: add as learner/.test(output) ? true : undefined),
    );
    assert.ok(started, output);
    const runner = Number(
      childProcess
        .execFileSync("pgrep", ["-P", String(parent.pid), "-f", "reconcileRunner"])
        .toString()
        .trim(),
    );
    process.kill(parent.pid!, "SIGKILL");
    const stepsAtKill = progressLines(output).length;
    const gone = await pollUntil(
      { budgetMs: 60_000, initialDelayMs: 50, maxDelayMs: 500 },
      async () => (isAlive(runner, process.execPath) ? undefined : true),
    );
    assert.ok(gone, "the orphaned run exited");
    assert.ok(
      progressLines(output).length <= stepsAtKill + 1,
      `at most the step under way finished after the kill:\n${output}`,
    );
    const next = await c.workload.lease().acquire("the next run", { durationMs: 3_000, waitMs: 0 });
    await next.release();
    await scaleTo(c, 5, "Delete", { label: "one: rerun after the orphaned run" });
    await assertConverged(c, 5, data);
  });
});
