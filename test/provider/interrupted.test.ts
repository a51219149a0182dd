/**
 * The provider stopped at every step boundary, then run again, until the goal is reached: each run
 * is stopped before the first step no earlier run was stopped before (the hook throws, as a crash
 * would end the run). Every rerun re-derives its step from live state (etcd 3.5, 127.0.21.x).
 */
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Goal } from "../../providers/membership/observation";
import { reconcile } from "../../providers/membership/reconciler";
import { type Step, describeStep } from "../../providers/membership/steps";
import type { LocalCluster } from "../harness/localCluster";
import { TEST_RECONCILE, assertConverged, testGoal, writeData } from "./scenario";
import { clusterForSuite } from "./suiteCluster";

class Stopped extends Error {}

/**
 * Runs to the goal, stopped before every step the first time that step comes up; the rerun then
 * lets it through. Returns the steps it was stopped before, in order.
 */
async function stopAtEveryBoundary(c: LocalCluster, goal: Goal): Promise<Step[]> {
  const stoppedBefore: Step[] = [];
  const stoppedAt = new Set<string>();
  for (let run = 0; run < 100; run++) {
    const onStepBoundary = (step: Step) => {
      const boundary = describeStep(step);
      if (stoppedAt.has(boundary)) return;
      stoppedAt.add(boundary);
      stoppedBefore.push(step);
      throw new Stopped(boundary);
    };
    try {
      await reconcile(c.workload, goal, { ...TEST_RECONCILE, onStepBoundary });
      console.log(`[interrupted] stopped before: ${stoppedBefore.map(describeStep).join(" | ")}`);
      return stoppedBefore;
    } catch (error) {
      if (!(error instanceof Stopped)) throw error;
    }
  }
  throw new Error("did not converge within 100 runs");
}

const kinds = (steps: Step[]) => new Set(steps.map((s) => s.kind));

describe("provider stopped at every step boundary, then rerun", () => {
  const { c, data } = clusterForSuite("int", "127.0.21", "3.5");

  it("create 0→3 resumes from every boundary", async () => {
    const stopped = await stopAtEveryBoundary(c, testGoal(3, "Retain"));
    for (const kind of ["write-record", "add-learner", "promote", "label"] as const)
      assert.ok(kinds(stopped).has(kind), `stopped before a ${kind} step`);
    await writeData(c, 3, data, "created");
    await assertConverged(c, 3, data);
  });

  it("3→1 resumes from every boundary", async () => {
    const stopped = await stopAtEveryBoundary(c, testGoal(1, "Retain"));
    for (const kind of ["remove-member", "scale"] as const)
      assert.ok(kinds(stopped).has(kind), `stopped before a ${kind} step`);
    await assertConverged(c, 1, data, "Retain");
  });

  it("1→2 over a retained volume resumes from every boundary, the stale volume deleted", async () => {
    const stopped = await stopAtEveryBoundary(c, testGoal(2, "Retain"));
    assert.ok(kinds(stopped).has("delete-volume"), "stopped before the stale volume was deleted");
    await assertConverged(c, 2, data, "Retain");
  });
});
