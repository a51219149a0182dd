/**
 * Bounded retries and polls with short, growing pauses (cockatiel's exponential backoff with
 * jitter). Budgets are total times, so nothing retries or waits longer than its caller allowed.
 */
import * as cockatiel from "cockatiel";

export interface Budget {
  /** Total time for all attempts and pauses. */
  budgetMs: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

function backoff(budget: Budget) {
  return new cockatiel.ExponentialBackoff({
    initialDelay: budget.initialDelayMs,
    maxDelay: budget.maxDelayMs,
  });
}

/** Runs `attempt` until it succeeds, retrying only errors `retryable` accepts, within the budget. */
export async function retryWithin<T>(
  budget: Budget,
  retryable: (error: unknown) => boolean,
  attempt: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + budget.budgetMs;
  const policy = cockatiel.retry(
    cockatiel.handleWhen((error) => retryable(error) && Date.now() < deadline),
    { maxAttempts: Number.MAX_SAFE_INTEGER, backoff: backoff(budget) },
  );
  return policy.execute(() => attempt());
}

/**
 * Probes until it returns a value; undefined means "not yet". Resolves undefined when the budget
 * ran out, so the caller can say what it waited for and what it saw last.
 */
export async function pollUntil<T>(
  budget: Budget,
  probe: () => Promise<T | undefined>,
): Promise<T | undefined> {
  const deadline = Date.now() + budget.budgetMs;
  const policy = cockatiel.retry(
    cockatiel.handleWhenResult((result) => result === undefined && Date.now() < deadline),
    { maxAttempts: Number.MAX_SAFE_INTEGER, backoff: backoff(budget) },
  );
  return policy.execute(() => probe());
}
