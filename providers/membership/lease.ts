/**
 * One membership change in flight, across processes: a run holds a lease for its whole duration
 * and renews it while steps run. A second run waits for it (bounded) or refuses naming the holder;
 * a run that lost its lease stops before its next step.
 *
 * Expiry never trusts another machine's clock. As in client-go's leader election, another holder's
 * lease counts as expired only once its record (its version) has stayed unchanged for its duration
 * on our own monotonic clock, observed while we wait. Recorded times are for messages only.
 *
 * The store (a Kubernetes Lease, a file in tests) only reads, creates, and replaces by version; all
 * decisions are here. Serialized by Pulumi with the provider: named plain Errors
 * (model/errors.ts), and Node modules `require`d at call time (see ../kubernetes/modules.ts).
 */
import { hasErrorName, namedError } from "../../model/errors";

export interface LeaseOptions {
  /** How long the lease lasts without renewal; it is renewed every `durationMs / 3`. */
  durationMs: number;
  /** How long `acquire` waits for another holder to release or to expire. */
  waitMs: number;
}

export interface ChangeLease {
  /**
   * Resolves once `holder` holds the lease, renewed from then on until released. Rejects with an
   * Error named `MembershipLeaseBusy`, naming the holder, when another run still holds it after
   * `waitMs`.
   */
  acquire(holder: string, options: LeaseOptions): Promise<HeldLease>;
  /** The lease object, for messages (e.g. `Lease db/etcd-membership`). */
  describe(): string;
}

export interface HeldLease {
  /**
   * Throws an Error named `MembershipLeaseLost` if the lease was lost (another holder, deleted,
   * renewal failing for longer than the duration) or released. Call it before every step.
   */
  ensureHeld(): void;
  /**
   * Stops renewing, then frees the lease if we still hold it. Rejects when the store cannot be
   * reached; the lease then expires `durationMs` after its last renewal.
   */
  release(): Promise<void>;
}

export const LEASE_BUSY = "MembershipLeaseBusy";
export const LEASE_LOST = "MembershipLeaseLost";

export const isLeaseBusy = (error: unknown): boolean => hasErrorName(error, LEASE_BUSY);

export const isLeaseLost = (error: unknown): boolean => hasErrorName(error, LEASE_LOST);

/** A lease as stored. */
export interface LeaseRecord {
  /** Empty when nobody holds it (released). */
  holder: string;
  /** How long its holder said it lasts without renewal; undefined when the record does not say. */
  durationMs?: number;
  /** The holder's clock, ISO 8601: for messages only. */
  acquireTime?: string;
  /** The holder's clock, ISO 8601: for messages only. */
  renewTime?: string;
  /** How often the lease changed hands. */
  transitions: number;
  /** Opaque; changes with every write. Replacing requires the version last read. */
  version: string;
}

export type LeaseContent = Omit<LeaseRecord, "version">;

/** Where a lease lives. Every write is conditional, so two writers never both succeed. */
export interface LeaseStore {
  /** The lease object, e.g. `Lease db/etcd-membership`. */
  name: string;
  /** What the lease guards, e.g. `StatefulSet db/etcd`. */
  subject: string;
  /** Undefined when the lease does not exist. */
  read(): Promise<LeaseRecord | undefined>;
  /** Undefined when a lease exists already. */
  create(content: LeaseContent): Promise<LeaseRecord | undefined>;
  /** Undefined when the lease is no longer at `version` (written by someone else, or deleted). */
  replace(version: string, content: LeaseContent): Promise<LeaseRecord | undefined>;
}

/**
 * A readable, unique holder: `user@host pid 123 started 2026-01-02T03:04:05.678Z`. The start time
 * tells a reused pid apart and is the same on every call in one process.
 */
export function holderIdentity(): string {
  const os = nodeOs();
  const started = new Date(performance.timeOrigin).toISOString();
  return `${userName(os)}@${os.hostname()} pid ${process.pid} started ${started}`;
}

/** The lease logic over a store; `describe()` names the store's lease object. */
export function changeLease(store: LeaseStore): ChangeLease {
  return {
    describe: () => store.name,
    acquire: (holder, options) => acquireLease(store, holder, options),
  };
}

// Loaded at call time: a module object captured at module scope would be serialized by value.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeOs = (): typeof import("os") => require("node:os");

function userName(os: typeof import("os")): string {
  try {
    return os.userInfo().username;
  } catch {
    // A container user without a passwd entry has no name, only a uid.
    return process.env.USER ?? process.env.LOGNAME ?? `uid ${process.getuid?.() ?? "?"}`;
  }
}

/** Milliseconds on a clock that never jumps: only differences between readings mean anything. */
const monotonicMs = (): number => performance.now();

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `1.5`, `15`, `60`: seconds for messages, without noise. */
function seconds(ms: number): string {
  return ms < 10_000 ? String(Math.round(ms / 100) / 10) : String(Math.round(ms / 1000));
}

function validate(options: LeaseOptions): void {
  const valid = (ms: number, min: number) => Number.isFinite(ms) && ms >= min;
  if (!valid(options.durationMs, 1) || !valid(options.waitMs, 0)) {
    throw new Error(
      `lease options ${JSON.stringify(options)} are not allowed: durationMs must be a positive number of milliseconds and waitMs 0 or more`,
    );
  }
}

/** When a record was last seen to change, on our own clock. */
interface Observation {
  version?: string;
  sinceMs: number;
}

/** How long `record` has been seen unchanged; a new version restarts the count at zero. */
function unchangedFor(seen: Observation, record: LeaseRecord, nowMs: number): number {
  if (seen.version !== record.version) {
    seen.version = record.version;
    seen.sinceMs = nowMs;
  }
  return nowMs - seen.sinceMs;
}

/** The record without its version: what a write carries. */
function contentOf(record: LeaseRecord): LeaseContent {
  const { holder, durationMs, acquireTime, renewTime, transitions } = record;
  return { holder, durationMs, acquireTime, renewTime, transitions };
}

const recordedDuration = (record: LeaseRecord, options: LeaseOptions): number =>
  record.durationMs ?? options.durationMs;

/** Free, ours already, or unchanged for its whole duration: its holder stopped renewing. */
function canTake(record: LeaseRecord, holder: string, unchangedMs: number, options: LeaseOptions) {
  return (
    record.holder === "" ||
    record.holder === holder ||
    unchangedMs >= recordedDuration(record, options)
  );
}

function claim(record: LeaseRecord | undefined, holder: string, options: LeaseOptions) {
  const now = new Date().toISOString();
  const changesHands = record !== undefined && record.holder !== holder;
  const content: LeaseContent = {
    holder,
    durationMs: options.durationMs,
    acquireTime: record?.holder === holder ? record.acquireTime : now,
    renewTime: now,
    transitions: (record?.transitions ?? 0) + (changesHands ? 1 : 0),
  };
  return content;
}

/** Polls often enough to see a renewal or two per duration, never hammering the store. */
const pollIntervalMs = (record: LeaseRecord | undefined, options: LeaseOptions): number =>
  Math.min(1_000, Math.max(50, (record ? recordedDuration(record, options) : 0) / 6));

type Attempt = { taken: LeaseRecord; sentAtMs: number } | "conflict" | "busy";

async function tryTake(
  store: LeaseStore,
  record: LeaseRecord | undefined,
  holder: string,
  options: LeaseOptions,
  seen: Observation,
): Promise<Attempt> {
  const sentAtMs = monotonicMs();
  if (record === undefined) {
    const created = await store.create(claim(undefined, holder, options));
    return created ? { taken: created, sentAtMs } : "conflict";
  }
  if (!canTake(record, holder, unchangedFor(seen, record, sentAtMs), options)) return "busy";
  const replaced = await store.replace(record.version, claim(record, holder, options));
  return replaced ? { taken: replaced, sentAtMs } : "conflict";
}

async function acquireLease(
  store: LeaseStore,
  holder: string,
  options: LeaseOptions,
): Promise<HeldLease> {
  validate(options);
  const startedMs = monotonicMs();
  const seen: Observation = { sinceMs: startedMs };
  let justConflicted = false;
  for (;;) {
    const record = await store.read();
    const attempt = await tryTake(store, record, holder, options, seen);
    if (typeof attempt === "object") return holdLease(store, holder, options, attempt);
    // Someone wrote between our read and our write (maybe we did, and lost the answer): decide
    // once more at once on what is there now. Only once, so that the wait stays bounded.
    justConflicted = attempt === "conflict" && !justConflicted;
    if (justConflicted) continue;
    const waitedMs = monotonicMs() - startedMs;
    if (waitedMs >= options.waitMs) throw leaseBusy(store, record, waitedMs, options);
    await sleep(Math.min(pollIntervalMs(record, options), options.waitMs - waitedMs));
  }
}

function leaseBusy(
  store: LeaseStore,
  record: LeaseRecord | undefined,
  waitedMs: number,
  options: LeaseOptions,
): Error {
  const holder = record?.holder || "another run";
  const renewed = record?.renewTime ? `renewed ${record.renewTime}` : "renewal time not recorded";
  const durationMs = record ? recordedDuration(record, options) : options.durationMs;
  return namedError(
    LEASE_BUSY,
    `the membership of ${store.subject} is being changed by ${holder} (${store.name}, ${renewed}); waited ${seconds(waitedMs)} s. If that run is dead, its lease expires ${seconds(durationMs)} s after its last renewal; rerun then.`,
  );
}

/** What a held lease knows; `lost` is final, so `ensureHeld` never flips back to held. */
interface HeldState {
  record: LeaseRecord;
  /** When the last successful write was sent: nobody can take the lease before this + duration. */
  renewedAtMs: number;
  lost?: string;
  released: boolean;
  timer?: ReturnType<typeof setTimeout>;
  renewal?: Promise<void>;
}

function holdLease(
  store: LeaseStore,
  holder: string,
  options: LeaseOptions,
  attempt: { taken: LeaseRecord; sentAtMs: number },
): HeldLease {
  const state: HeldState = {
    record: attempt.taken,
    renewedAtMs: attempt.sentAtMs,
    released: false,
  };
  const renewer = { store, holder, options, state };
  scheduleRenewal(renewer);
  return {
    ensureHeld: () => ensureHeld(renewer),
    release: () => releaseLease(renewer),
  };
}

interface Renewer {
  store: LeaseStore;
  holder: string;
  options: LeaseOptions;
  state: HeldState;
}

function scheduleRenewal(renewer: Renewer): void {
  const { state, options } = renewer;
  if (state.released || state.lost !== undefined) return;
  state.timer = setTimeout(() => {
    state.renewal = renewOnce(renewer).finally(() => {
      state.renewal = undefined;
      scheduleRenewal(renewer);
    });
  }, options.durationMs / 3);
  // Renewal alone must never keep Node running: a provider with nothing else to do exits.
  state.timer.unref();
}

function lose(state: HeldState, reason: string): void {
  state.lost ??= reason;
}

/** Past its duration since the last successful renewal: others may take it over now. */
function checkExpiry(renewer: Renewer, renewalFailure?: unknown): void {
  const sinceMs = monotonicMs() - renewer.state.renewedAtMs;
  if (sinceMs < renewer.options.durationMs) return;
  const failure =
    renewalFailure === undefined
      ? ""
      : `; the last renewal failed: ${(renewalFailure as Error).message}`;
  lose(
    renewer.state,
    `not renewed for ${seconds(sinceMs)} s (its duration is ${seconds(renewer.options.durationMs)} s), so another run may have taken it over${failure}`,
  );
}

async function renewOnce(renewer: Renewer): Promise<void> {
  const { store, holder, state } = renewer;
  checkExpiry(renewer);
  if (state.lost !== undefined || state.released) return;
  const sentAtMs = monotonicMs();
  try {
    const content = { ...contentOf(state.record), renewTime: new Date().toISOString() };
    const written = await store.replace(state.record.version, content);
    if (written) {
      state.record = written;
      state.renewedAtMs = sentAtMs;
      return;
    }
    const current = await store.read();
    if (current === undefined) lose(state, `${store.name} was deleted`);
    else if (current.holder !== holder)
      lose(state, `it was taken over by ${current.holder || "nobody (released)"}`);
    // Still ours at a newer version: an earlier write of ours landed but its answer was lost.
    else state.record = current;
  } catch (error) {
    // Retried by the next renewal; fatal only once the lease may have expired meanwhile.
    checkExpiry(renewer, error);
  }
}

function ensureHeld(renewer: Renewer): void {
  const { store, state } = renewer;
  if (!state.released) checkExpiry(renewer);
  const reason = state.released ? "it was released" : state.lost;
  if (reason === undefined) return;
  throw namedError(
    LEASE_LOST,
    `the lease on the membership of ${store.subject} (${store.name}) is no longer held by this run: ${reason}. Stopping before the next step; the cluster is left between steps, and a later run continues from there.`,
  );
}

async function releaseLease(renewer: Renewer): Promise<void> {
  const { store, holder, state } = renewer;
  if (state.released) return;
  state.released = true;
  clearTimeout(state.timer);
  await state.renewal;
  try {
    // A conflict means another writer got there first: look again, a few times.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const current = await store.read();
      if (current === undefined || current.holder !== holder) return;
      if (await store.replace(current.version, { ...contentOf(current), holder: "" })) return;
    }
    throw new Error("it changed under every attempt");
  } catch (error) {
    throw new Error(
      `release ${store.name}: ${(error as Error).message}; it expires ${seconds(renewer.options.durationMs)} s after its last renewal`,
      { cause: error },
    );
  }
}
