/**
 * Runs the reconciler in a process of its own, so a test can kill the provider for real:
 * `node reconcileRunner.js '<json>'` with the local workload's options, the cluster name, the goal
 * and optionally a step kind before which the process SIGKILLs itself. Progress goes to stdout.
 */
import type { Goal } from "../../providers/membership/observation";
import { reconcile } from "../../providers/membership/reconciler";
import type { Step } from "../../providers/membership/steps";
import { LocalWorkload, type LocalWorkloadOptions } from "./localWorkload";

export interface RunnerSpec {
  options: LocalWorkloadOptions;
  clusterName: string;
  goal: Goal;
  killBefore?: Step["kind"];
}

const spec = JSON.parse(process.argv[2]) as RunnerSpec;
reconcile(new LocalWorkload(spec.options, spec.clusterName), spec.goal, {
  log: (line) => console.log(line),
  onStepBoundary: (step) => {
    if (step.kind === spec.killBefore) process.kill(process.pid, "SIGKILL");
  },
}).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  },
);
