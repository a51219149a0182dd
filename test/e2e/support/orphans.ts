/**
 * Processes left behind by a killed parent (a dynamic provider whose engine was SIGKILLed): a
 * bounded wait until none of them runs (a zombie, exited but not yet reaped by whoever adopted it,
 * counts as gone).
 */
import { processRuns } from "./pids";
import { until } from "./poll";

/** Resolves with how long it took once none of `pids` runs; fails naming them after `timeoutMs`. */
export async function waitAllGone(pids: number[], timeoutMs: number): Promise<number> {
  const started = Date.now();
  await until(
    `processes ${pids.join(", ")} to exit`,
    () => {
      const left = pids.filter(processRuns);
      if (left.length > 0) throw new Error(`still running: ${left.join(", ")}`);
      return true;
    },
    { timeoutMs, initialIntervalMs: 50, maxIntervalMs: 250 },
  );
  return Date.now() - started;
}
