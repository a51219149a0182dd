import { pollUntil } from "../../../providers/backoff";

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
  let last = "not yet";
  const budget = {
    budgetMs: options.timeoutMs,
    initialDelayMs: options.initialIntervalMs ?? 50,
    maxDelayMs: options.maxIntervalMs ?? 1_000,
  };
  const value = await pollUntil(budget, async () => {
    try {
      const result = await probe();
      last = "not yet";
      return result;
    } catch (error) {
      last = (error as Error).message;
      return undefined;
    }
  });
  if (value === undefined)
    throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what} (last: ${last})`);
  return value;
}
