/** Waiting on live state: short, growing intervals and a bounded total time, never a fixed sleep. */
import { cockatiel, sleep } from "./modules";

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
  const { ExponentialBackoff } = cockatiel();
  const deadline = Date.now() + limits.totalMs;
  let backoff = new ExponentialBackoff({
    initialDelay: limits.initialDelayMs,
    maxDelay: limits.maxDelayMs,
  }).next();
  for (;;) {
    const state = await pending();
    if (state === undefined) return;
    if (Date.now() + backoff.duration > deadline) {
      const total =
        limits.totalMs >= 1000 ? `${Math.round(limits.totalMs / 1000)} s` : `${limits.totalMs} ms`;
      throw new Error(`${what}: gave up after ${total}: ${state}`);
    }
    await sleep(backoff.duration);
    backoff = backoff.next(undefined);
  }
}
