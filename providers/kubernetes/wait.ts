/** Waiting on live state: short, growing intervals and a bounded total time, never a fixed sleep. */
import { pollUntil } from "../backoff";

export interface WaitLimits {
  initialDelayMs: number;
  maxDelayMs: number;
  totalMs: number;
}

export const DEFAULT_WAIT_LIMITS: WaitLimits = {
  initialDelayMs: 100,
  maxDelayMs: 2_000,
  totalMs: 180_000,
};

/**
 * Calls `pending` until it resolves to undefined. While the awaited state is not there yet it
 * resolves to a description of what is still pending, which ends up in the timeout error.
 */
export async function waitUntil(
  what: string,
  pending: () => Promise<string | undefined>,
  limits: WaitLimits = DEFAULT_WAIT_LIMITS,
): Promise<void> {
  let state: string | undefined;
  const done = await pollUntil(
    {
      budgetMs: limits.totalMs,
      initialDelayMs: limits.initialDelayMs,
      maxDelayMs: limits.maxDelayMs,
    },
    async () => {
      state = await pending();
      return state === undefined ? true : undefined;
    },
  );
  if (done) return;
  const total =
    limits.totalMs >= 1000 ? `${Math.round(limits.totalMs / 1000)} s` : `${limits.totalMs} ms`;
  throw new Error(`${what}: gave up after ${total}: ${state}`);
}
