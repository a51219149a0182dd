/**
 * Processes left behind by a killed parent (a dynamic provider whose engine was SIGKILLed): whether
 * they still run, and a bounded wait until they do not. Linux /proc; a zombie (exited, not yet
 * reaped by whoever adopted it) counts as gone.
 */
import * as fs from "node:fs";
import { until } from "./poll";

/** Whether `pid` is a live process (not a zombie). */
export function processRuns(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

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
