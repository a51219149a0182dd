import { ExponentialBackoff } from "cockatiel";
import { setTimeout as sleep } from "node:timers/promises";

export interface PollOptions {
  timeoutMs: number;
  /** First interval; intervals grow exponentially up to `maxIntervalMs`. */
  initialIntervalMs?: number;
  maxIntervalMs?: number;
}

/**
 * Polls `probe` with growing intervals until it returns a value other than undefined, or fails
 * after `timeoutMs` with an error naming what was awaited and the last thing the probe reported.
 * A probe that throws counts as "not yet"; its message is kept for the timeout error.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  options: PollOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let backoff = new ExponentialBackoff({
    initialDelay: options.initialIntervalMs ?? 50,
    maxDelay: options.maxIntervalMs ?? 1_000,
  }).next();
  let last: string;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = "not yet";
    } catch (error) {
      last = (error as Error).message;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new Error(
        `timed out after ${options.timeoutMs} ms waiting for ${what} (last: ${last})`,
      );
    }
    await sleep(Math.min(backoff.duration, remaining));
    backoff = backoff.next(undefined);
  }
}
