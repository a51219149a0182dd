/** Test helpers shared by the lease tests of both stores (a Kubernetes Lease, a local file). */
import type { LeaseStore } from "../../providers/membership/lease";

/** A store whose calls wait while frozen, as a stopped (SIGSTOP, swapped out) process would. */
export function freezable(store: LeaseStore) {
  let gate: Promise<void> | undefined;
  let open = () => {};
  const gated =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A) => {
      await gate;
      return call(...args);
    };
  return {
    store: {
      ...store,
      read: gated(store.read),
      create: gated(store.create),
      replace: gated(store.replace),
    },
    freeze: () => {
      gate = new Promise((resolve) => (open = resolve));
    },
    thaw: () => open(),
  };
}

/** `text` as a regular expression that matches it literally. */
export const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
