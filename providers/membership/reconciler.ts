/**
 * The membership loop: observe, plan one step, report it, carry it out, and again, until the plan
 * says done or refuses. Nothing is remembered between steps, so a run that was interrupted at any
 * point is resumed by running again (README, "How scaling works").
 */
import { hasErrorName, namedError } from "../../model/errors";
import { type Budget, pollUntil } from "../backoff";
import { type AdminOptions, DEFAULT_ADMIN_OPTIONS } from "../etcd/admin";
import { errorText } from "../etcd/errors";
import type { ClientAuth, ClientSecurity } from "../etcd/security";
import { type ActionStep, execute } from "./execute";
import type { Goal, Observation, SlotOf } from "./observation";
import { Endpoints, type MemberTarget, leaderOrdinal, observe, voterOrdinals } from "./observe";
import { plan } from "./plan";
import type { EngineWatch } from "./engineWatch";
import { type HeldLease, type LeaseOptions, holderIdentity } from "./lease";
import { type AuthGoal, settleAuthentication } from "./rootAuth";
import {
  type SafetySnapshotOptions,
  changesMembership,
  takeSafetySnapshot,
} from "./safetySnapshot";
import { type Session, connectAdmin, openSession } from "./session";
import { predictSteps } from "./simulate";
import type { SnapshotRecord } from "../snapshots/store";
import { type Decision, type Step, describeStep, sameStep } from "./steps";
import { type ClusterSummary, describeObservation, summarize } from "./summary";
import type { Workload } from "./types";

export const PROGRESS_PREFIX = "[etcd membership]";

export interface ReconcileOptions {
  /** Where progress lines go; the dynamic provider's console reaches the engine's diagnostics. */
  log: (line: string) => void;
  /** Called before each step is carried out; tests stop the provider here. */
  onStepBoundary?: (step: Step) => void | Promise<void>;
  /** How long one wait (a pod gone, a learner caught up) may take. */
  waitBudgetMs: number;
  /**
   * How long a refusal may take to clear by itself before it is reported: right after our own
   * change (a leader handing over, say) the cluster can look unsettled for a moment.
   */
  settleBudgetMs: number;
  /**
   * How long a run waits for members that do not answer before it refuses: members paused or
   * restarting for a moment answer again, and nothing may be changed while they cannot be seen.
   */
  unobservedBudgetMs: number;
  /** The lease that keeps a second run from changing the membership at the same time. */
  lease: LeaseOptions;
  /** Stops the run before its next step once the engine that started it is gone. */
  engine?: EngineWatch;
  admin: AdminOptions;
  /** Where the safety snapshot goes; without it no snapshot is taken. */
  snapshot?: SafetySnapshotOptions;
  /**
   * How to prove ourselves to etcd besides the workload's client certificate (which `clientTLS`
   * gives): `auth` present means authentication on, as root.
   */
  security?: ClientSecurity;
  /** Root's credentials as the last completed run left them: for a password change or auth off. */
  previousAuth?: ClientAuth;
}

export const DEFAULT_RECONCILE_OPTIONS: ReconcileOptions = {
  log: (line) => console.log(line),
  waitBudgetMs: 300_000,
  settleBudgetMs: 3_000,
  unobservedBudgetMs: 60_000,
  // Renewed every 5 s; a run killed without releasing it holds it 15 s at most.
  lease: { durationMs: 15_000, waitMs: 60_000 },
  admin: DEFAULT_ADMIN_OPTIONS,
};

export interface StepRecord {
  description: string;
  kind: Step["kind"];
  ms: number;
}

export interface ReconcileResult {
  summary: ClusterSummary;
  steps: StepRecord[];
  /** The safety snapshot this run took, if it changed membership with snapshots configured. */
  snapshot?: SnapshotRecord;
}

export const REFUSAL = "MembershipRefusal";

/**
 * Refused before changing anything further: the message names the members concerned. A named plain
 * Error (model/errors.ts), so it keeps its message through Pulumi's serialization.
 */
export const membershipRefusal = (subject: string, reason: string): Error =>
  namedError(REFUSAL, `${PROGRESS_PREFIX} ${subject}: refused: ${reason}`);

export const isMembershipRefusal = (error: unknown): boolean => hasErrorName(error, REFUSAL);

/** Waits re-observe after 20 ms, then ever longer pauses up to 250 ms. */
export const WAIT_POLL = { initialDelayMs: 20, maxDelayMs: 250 };

const pollBudget = (budgetMs: number): Budget => ({ budgetMs, ...WAIT_POLL });

interface Seen {
  observation: Observation;
  decision: Decision;
}

/** What every phase of one run works with; the lease is held from the start. */
interface Run {
  workload: Workload;
  goal: Goal;
  options: ReconcileOptions;
  session: Session;
  lease: HeldLease;
  slotOf: SlotOf;
}

export async function reconcile(
  workload: Workload,
  goal: Goal,
  overrides: Partial<ReconcileOptions> = {},
): Promise<ReconcileResult> {
  const options = { ...DEFAULT_RECONCILE_OPTIONS, ...overrides };
  const session = await openSession(workload, options.admin, options.security);
  const slotOf: SlotOf = (k) => workload.slot(k);
  let lease: HeldLease | undefined;
  try {
    options.engine?.ensureAlive();
    lease = await workload.lease().acquire(holderIdentity(), options.lease);
    return await converge({ workload, goal, options, session, lease, slotOf });
  } finally {
    await session.close();
    // A lease that cannot be released expires on its own; the run's own outcome matters more.
    await lease
      ?.release()
      .catch((error: unknown) =>
        options.log(
          `${PROGRESS_PREFIX} ${workload.describe()}: could not release the lease: ${errorText(error)}`,
        ),
      );
  }
}

/**
 * Observes, plans, and takes the planned step (after the safety snapshot when it is the first
 * membership change), until the plan says done or refuses.
 */
async function converge(run: Run): Promise<ReconcileResult> {
  const authGoal: AuthGoal = {
    password: run.options.security?.auth?.password,
    previousPassword: run.options.previousAuth?.password,
  };
  // An existing cluster: authentication settles before membership is looked at (etcd 3.5 answers
  // nothing else without it once it is on). A new one: right after its first member started.
  let auth: AuthState =
    authGoal.password === undefined && authGoal.previousPassword === undefined
      ? { settled: true }
      : await settleAuth(run, authGoal);
  let seen = await look(run);
  const from = voterCount(seen.observation);
  reportUnknownReplacements(seen.observation, run.goal, run.options.log, run.workload.describe());
  const records: StepRecord[] = [];
  let snapshot: SnapshotRecord | undefined;
  for (;;) {
    if (!auth.settled && seen.observation.cluster.reachable) {
      mayAct(run);
      auth = await settleAuth(run, authGoal);
      if (auth.settled) seen = await look(run);
    }
    seen = await outwaitRefusal(run, seen);
    const { observation, decision } = seen;
    if (decision.kind === "done") return finished(run, observation, auth, records, snapshot);
    if (decision.kind === "refuse")
      throw membershipRefusal(run.workload.describe(), decision.reason);
    const step = decision.step;
    const at = position(run, { from, records }, observation, step);
    mayAct(run);
    snapshot ??= await safetySnapshot(run, step, observation);
    run.options.log(`${PROGRESS_PREFIX} ${describeStep(step)} (${at})`);
    await run.options.onStepBoundary?.(step);
    mayAct(run);
    const started = Date.now();
    seen = await (step.kind === "wait" ? waitOut(run, step, seen) : act(run, step, observation));
    records.push({ description: describeStep(step), kind: step.kind, ms: Date.now() - started });
  }
}

/** Before every step and every look while waiting: the lease is still ours, the engine there. */
function mayAct(run: Run): void {
  run.options.engine?.ensureAlive();
  run.lease.ensureHeld();
}

async function look(run: Run): Promise<Seen> {
  const observation = await observe(run.workload, run.session.endpoints, run.session.admin);
  return { observation, decision: plan(observation, run.goal, run.slotOf) };
}

/** Polls until the decision differs from `unwanted`, or the budget is spent (then the last look). */
async function lookUntil(
  run: Run,
  budgetMs: number,
  unwanted: (d: Decision) => boolean,
  first: Seen,
): Promise<{ changed?: Seen; last: Seen }> {
  let last = first;
  const changed = await pollUntil(pollBudget(budgetMs), async () => {
    mayAct(run);
    last = await look(run);
    return unwanted(last.decision) ? undefined : last;
  });
  return { changed, last };
}

/** Settled, or not yet because no member answered (and why). */
type AuthState = { settled: true } | { settled: false; reasons: string[] };

/**
 * Asks the members there are which credentials work and brings authentication to the goal; once
 * it is settled with root's credentials, the run reconnects with them.
 */
async function settleAuth(run: Run, goal: AuthGoal): Promise<AuthState> {
  const { workload, session, options } = run;
  const targets: MemberTarget[] = [];
  for (let k = 0; k < (await workload.replicas()); k++) {
    const target = await session.endpoints.target(k).catch(() => undefined);
    if (target) targets.push(target);
  }
  const outcome = await settleAuthentication(goal, {
    targets,
    makeAdmin: session.makeAdmin,
    say: (what) => options.log(`${PROGRESS_PREFIX} ${workload.describe()}: ${what}`),
    refuse: (reason) => membershipRefusal(workload.describe(), reason),
  });
  if (!outcome.settled) return { settled: false, reasons: outcome.reasons };
  if (outcome.auth) await session.reconnect(outcome.auth);
  return { settled: true };
}

/**
 * A refusal may clear by itself: members that do not answer yet (waitable), or a cluster that
 * looks unsettled right after our own change. Looks again within the budget; the last look stands.
 */
async function outwaitRefusal(run: Run, seen: Seen): Promise<Seen> {
  if (seen.decision.kind !== "refuse") return seen;
  const { waitable, reason } = seen.decision;
  const budget = waitable ? run.options.unobservedBudgetMs : run.options.settleBudgetMs;
  if (waitable)
    run.options.log(
      `${PROGRESS_PREFIX} ${run.workload.describe()}: nothing can be done yet (${reason.split(";")[0]}); looking again for up to ${budget / 1000} s`,
    );
  return (await lookUntil(run, budget, (d) => d.kind === "refuse", seen)).last;
}

/** The run's result, once membership is as wanted; authentication must have been settled too. */
function finished(
  run: Run,
  observation: Observation,
  auth: AuthState,
  steps: StepRecord[],
  snapshot: SnapshotRecord | undefined,
): ReconcileResult {
  if (!auth.settled)
    throw new Error(
      `${PROGRESS_PREFIX} ${run.workload.describe()}: membership is as wanted, but no member answered ` +
        `about authentication: ${auth.reasons.join("; ") || "no member to ask"}`,
    );
  return { summary: summarize(observation, run.slotOf), steps, snapshot };
}

/** Voters when the run starts: the "from" of its progress lines. */
const voterCount = (o: Observation): number =>
  o.cluster.reachable ? o.cluster.members.filter((m) => !m.isLearner).length : 0;

/**
 * Where `step` stands in the run, for its progress line. Waits are counted apart: whether one is
 * needed depends on how fast members start, so counting them would make the total jump; the
 * actions ahead are what the plan decides.
 */
function position(
  run: Run,
  sofar: { from: number; records: StepRecord[] },
  observation: Observation,
  step: Step,
): string {
  const done = sofar.records.filter((r) => r.kind !== "wait").length;
  const ahead = predictSteps(observation, run.goal, run.slotOf).filter((s) => s.kind !== "wait");
  const total = done + ahead.length;
  const change = `${sofar.from}→${run.goal.size}`;
  return step.kind === "wait"
    ? `waiting, ${done}/${total} steps done, ${change}`
    : `step ${done + 1}/${total} of ${change}`;
}

/**
 * The snapshot due before `step`, if it changes membership and snapshots are configured; callers
 * ask only until the run has one. A snapshot that fails refuses the step.
 */
async function safetySnapshot(
  run: Run,
  step: Step,
  observation: Observation,
): Promise<SnapshotRecord | undefined> {
  const settings = run.options.snapshot;
  if (!settings || !changesMembership(step)) return undefined;
  const { log } = run.options;
  log(
    `${PROGRESS_PREFIX} ${step.slot.name}: safety snapshot to ${settings.directory} before the first membership change`,
  );
  const { endpoints, admin } = run.session;
  const outcome = await takeSafetySnapshot(observation, run.slotOf, endpoints, admin, settings);
  if (!outcome.ok)
    throw membershipRefusal(
      run.workload.describe(),
      `the safety snapshot failed, so no membership change was made: ${outcome.failures.join("; ")}. ` +
        "Fix the cause (snapshots.directory writable, space left, members reachable), then rerun.",
    );
  const snapshot = outcome.record;
  log(
    `${PROGRESS_PREFIX} ${snapshot.member}: safety snapshot ${snapshot.path} (${snapshot.bytes} bytes, sha256 ${snapshot.sha256}) verified`,
  );
  return snapshot;
}

/** Looks again, bounded, until the plan asks for something other than this wait. */
async function waitOut(run: Run, step: Step, seen: Seen): Promise<Seen> {
  const isSame = (d: Decision) => d.kind === "step" && sameStep(d.step, step);
  const budgetMs = run.options.waitBudgetMs;
  const { changed, last } = await lookUntil(run, budgetMs, isSame, seen);
  if (!changed)
    throw new Error(
      `${PROGRESS_PREFIX} ${run.workload.describe()}: gave up after ${budgetMs / 1000} s: ` +
        `${describeStep(step)}; last observed: ${describeObservation(last.observation, run.slotOf)}`,
    );
  return changed;
}

/**
 * Carries out one action, with membership calls sent to the leader observed (an add also to the
 * other voters that answered, should the leader refuse it), then looks again.
 */
async function act(run: Run, step: ActionStep, observation: Observation): Promise<Seen> {
  const context = {
    workload: run.workload,
    admin: run.session.admin,
    endpoints: run.session.endpoints,
    leader: leaderOrdinal(observation),
    voters: voterOrdinals(observation),
    log: (line: string) => run.options.log(`${PROGRESS_PREFIX} ${line}`),
  };
  await execute(step, context).catch((error: unknown) => {
    throw new Error(`${PROGRESS_PREFIX} ${describeStep(step)} failed: ${errorText(error)}`, {
      cause: error,
    });
  });
  return look(run);
}

/** Replacements asked for by member ID that are not members: most likely already replaced. */
function reportUnknownReplacements(
  o: Observation,
  goal: Goal,
  log: (line: string) => void,
  subject: string,
): void {
  if (!o.cluster.reachable) return;
  const ids = new Set(o.cluster.members.map((m) => m.id));
  for (const id of goal.replace.filter((x) => !ids.has(x)))
    log(
      `${PROGRESS_PREFIX} ${subject}: replaceMembers names ${id}, which is not a member (already replaced?): nothing to do for it`,
    );
}

/** The live cluster as `read` reports it, without changing anything. */
export interface Inspection {
  summary: ClusterSummary;
  /** What a run towards `goal` would do first, or why it would refuse; undefined when nothing. */
  next?: string;
}

export async function inspect(
  workload: Workload,
  goal: Goal,
  overrides: Partial<ReconcileOptions> = {},
): Promise<Inspection> {
  const options = { ...DEFAULT_RECONCILE_OPTIONS, ...overrides };
  const admin = await connectAdmin(workload, options);
  const endpoints = new Endpoints(workload, admin);
  const slotOf: SlotOf = (k) => workload.slot(k);
  try {
    const observation = await observe(workload, endpoints, admin);
    const decision = plan(observation, goal, slotOf);
    const summary = summarize(observation, slotOf);
    if (decision.kind === "done") return { summary };
    const next = decision.kind === "step" ? describeStep(decision.step) : decision.reason;
    return { summary, next };
  } finally {
    await endpoints.closeAll();
    admin.close();
  }
}
