/**
 * Which etcd failures may be retried. Membership calls are not idempotent (an add sent twice adds
 * twice), so only refusals etcd documents as temporary are retried blindly; a call whose fate is
 * unknown is retried only after the member list shows it did not take effect.
 */

/** etcd refused and changed nothing; the same call can succeed a moment later. */
const TRANSIENT_REFUSALS = [
  // For ~5 s after any peer (re)connects the leader refuses every add and remove.
  "etcdserver: unhealthy cluster",
  // A learner is promoted only once it holds 90% of the leader's log.
  "in sync with leader",
  // The started-quorum check of add and promote, e.g. right after a member restarted.
  "not enough started members",
  "etcdserver: leader changed",
  "etcdserver: no leader",
  "etcdserver: too many requests",
  // grpc-js could not connect: the request was never sent.
  "No connection established",
];

/** The call may or may not have been applied: re-read the member list before anything else. */
const UNKNOWN_OUTCOME = ["etcdserver: request timed out", "DEADLINE_EXCEEDED", "Deadline exceeded"];

export type FailureKind = "transient" | "unknown-outcome" | "final";

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function classifyFailure(error: unknown): FailureKind {
  const text = errorText(error);
  if (TRANSIENT_REFUSALS.some((m) => text.includes(m))) return "transient";
  if (UNKNOWN_OUTCOME.some((m) => text.includes(m))) return "unknown-outcome";
  return "final";
}
