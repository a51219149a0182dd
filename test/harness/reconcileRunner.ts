/**
 * Runs the reconciler in a process of its own, so a test can kill the provider for real:
 * `node reconcileRunner.js '<json>'` with the local workload's options, the cluster name, the goal,
 * optionally a step kind before which the process SIGKILLs itself, and whether to watch its parent
 * as the provider watches the engine. Progress goes to stdout, each line after the time in ms.
 */
import { watchEngine } from "../../providers/membership/engineWatch";
import type { Goal } from "../../providers/membership/observation";
import { reconcile } from "../../providers/membership/reconciler";
import type { Step } from "../../providers/membership/steps";
import { LocalWorkload, type LocalWorkloadOptions } from "./localWorkload";

export interface RunnerSpec {
  options: LocalWorkloadOptions;
  clusterName: string;
  goal: Goal;
  killBefore?: Step["kind"];
  /** Stop before the next step once the parent process is gone, as the provider does. */
  watchParent?: boolean;
}

const spec = JSON.parse(process.argv[2]) as RunnerSpec;
reconcile(new LocalWorkload(spec.options, spec.clusterName), spec.goal, {
  log: (line) => console.log(`${Date.now()} ${line}`),
  ...(spec.watchParent ? { engine: watchEngine() } : {}),
  onStepBoundary: (step) => {
    if (step.kind === spec.killBefore) process.kill(process.pid, "SIGKILL");
  },
}).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    process.exit(1);
  },
);
