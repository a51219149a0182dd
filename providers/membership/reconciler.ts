/**
 * The membership loop: observe, plan one step, report it, carry it out, and again, until the plan
 * says done or refuses. Nothing is remembered between steps, so a run that was interrupted at any
 * point is resumed by running again (README, "How scaling works").
 */
import { type Budget, pollUntil } from "../backoff";
import { type AdminOptions, DEFAULT_ADMIN_OPTIONS, EtcdAdmin } from "../etcd/admin";
import { errorText } from "../etcd/errors";
import type { ClientAuth, ClientSecurity } from "../etcd/security";
import { execute } from "./execute";
import type { Goal, Observation, SlotOf } from "./observation";
import { Endpoints, type MemberTarget, leaderOrdinal, observe } from "./observe";
import { plan } from "./plan";
import type { EngineWatch } from "./engineWatch";
import { type HeldLease, type LeaseOptions, holderIdentity } from "./lease";
import { type AuthGoal, settleAuthentication } from "./rootAuth";
import {
  type SafetySnapshotOptions,
  changesMembership,
  takeSafetySnapshot,
} from "./safetySnapshot";
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
 * Refused before changing anything further: the message names the members concerned. A plain
 * Error rather than a subclass: Pulumi serializes a subclass's constructor so that `super(message)`
 * runs as `Error.call(this, message)`, which leaves the thrown object without its message.
 */
export function membershipRefusal(subject: string, reason: string): Error {
  const error = new Error(`${PROGRESS_PREFIX} ${subject}: refused: ${reason}`);
  error.name = REFUSAL;
  return error;
}

export const isMembershipRefusal = (error: unknown): boolean =>
  error instanceof Error && error.name === REFUSAL;

/** Waits re-observe after 20 ms, then ever longer pauses up to 250 ms. */
export const WAIT_POLL = { initialDelayMs: 20, maxDelayMs: 250 };

const pollBudget = (budgetMs: number): Budget => ({ budgetMs, ...WAIT_POLL });

/** The etcd adapter with every credential: the options' and the workload's client certificate. */
export async function connectAdmin(
  workload: Workload,
  options: Pick<ReconcileOptions, "admin" | "security">,
): Promise<EtcdAdmin> {
  const tls = await workload.clientTLS();
  return new EtcdAdmin(options.admin, { ...options.security, ...(tls ? { tls } : {}) });
}

interface Seen {
  observation: Observation;
  decision: Decision;
}

export async function reconcile(
  workload: Workload,
  goal: Goal,
  overrides: Partial<ReconcileOptions> = {},
): Promise<ReconcileResult> {
  const options = { ...DEFAULT_RECONCILE_OPTIONS, ...overrides };
  const tls = await workload.clientTLS();
  const makeAdmin = (auth?: ClientAuth) =>
    new EtcdAdmin(options.admin, { ...options.security, ...(tls ? { tls } : {}), auth });
  const connect = (auth?: ClientAuth) => {
    const admin = makeAdmin(auth);
    return { admin, endpoints: new Endpoints(workload, admin) };
  };
  const disconnect = async (c: ReturnType<typeof connect>) => {
    await c.endpoints.closeAll();
    c.admin.close();
  };
  // Unauthenticated until the authentication phase says which credentials work: a new cluster
  // starts without authentication, and an existing one is asked before anything else.
  let access = connect();
  const authGoal: AuthGoal = {
    password: options.security?.auth?.password,
    previousPassword: options.previousAuth?.password,
  };
  let authSettled = authGoal.password === undefined && authGoal.previousPassword === undefined;
  let authUnsettledBecause: string[] = [];
  const settleAuth = async () => {
    const targets: MemberTarget[] = [];
    for (let k = 0; k < (await workload.replicas()); k++) {
      const target = await access.endpoints.target(k).catch(() => undefined);
      if (target) targets.push(target);
    }
    const outcome = await settleAuthentication(authGoal, {
      targets,
      makeAdmin,
      say: (what) => options.log(`${PROGRESS_PREFIX} ${workload.describe()}: ${what}`),
      refuse: (reason) => membershipRefusal(workload.describe(), reason),
    });
    if (!outcome.settled) {
      authUnsettledBecause = outcome.reasons;
      return;
    }
    authSettled = true;
    if (outcome.auth) {
      await disconnect(access);
      access = connect(outcome.auth);
    }
  };
  const slotOf: SlotOf = (k) => workload.slot(k);
  const look = async (): Promise<Seen> => {
    const observation = await observe(workload, access.endpoints, access.admin);
    return { observation, decision: plan(observation, goal, slotOf) };
  };
  const records: StepRecord[] = [];
  let snapshot: SnapshotRecord | undefined;
  let lease: HeldLease | undefined;
  /** Before every step and every look while waiting: the lease is still ours, the engine there. */
  const mayAct = () => {
    options.engine?.ensureAlive();
    lease?.ensureHeld();
  };
  /** Polls until the decision differs from `unwanted`, or the budget is spent (then the last look). */
  const until = async (budgetMs: number, unwanted: (d: Decision) => boolean, first: Seen) => {
    let last = first;
    const changed = await pollUntil(pollBudget(budgetMs), async () => {
      mayAct();
      last = await look();
      return unwanted(last.decision) ? undefined : last;
    });
    return { changed, last };
  };
  try {
    options.engine?.ensureAlive();
    lease = await workload.lease().acquire(holderIdentity(), options.lease);
    // An existing cluster: authentication settles before membership is looked at (etcd 3.5 answers
    // nothing else without it once it is on). A new one: right after its first member started.
    if (!authSettled) await settleAuth();
    let seen = await look();
    const from = seen.observation.cluster.reachable
      ? seen.observation.cluster.members.filter((m) => !m.isLearner).length
      : 0;
    reportUnknownReplacements(seen.observation, goal, options.log, workload.describe());
    for (;;) {
      if (!authSettled && seen.observation.cluster.reachable) {
        mayAct();
        await settleAuth();
        if (authSettled) seen = await look();
      }
      if (seen.decision.kind === "refuse") {
        const budget = seen.decision.waitable ? options.unobservedBudgetMs : options.settleBudgetMs;
        if (seen.decision.waitable)
          options.log(
            `${PROGRESS_PREFIX} ${workload.describe()}: nothing can be done yet (${seen.decision.reason.split(";")[0]}); looking again for up to ${budget / 1000} s`,
          );
        seen = (await until(budget, (d) => d.kind === "refuse", seen)).last;
      }
      const { observation, decision } = seen;
      if (decision.kind === "done" && !authSettled)
        throw new Error(
          `${PROGRESS_PREFIX} ${workload.describe()}: membership is as wanted, but no member answered ` +
            `about authentication: ${authUnsettledBecause.join("; ") || "no member to ask"}`,
        );
      if (decision.kind === "done")
        return { summary: summarize(observation, slotOf), steps: records, snapshot };
      if (decision.kind === "refuse") throw membershipRefusal(workload.describe(), decision.reason);
      const step = decision.step;
      // Waits are counted apart: whether one is needed depends on how fast members start, so
      // counting them would make the total jump; the actions ahead are what the plan decides.
      const done = records.filter((r) => r.kind !== "wait").length;
      const ahead = predictSteps(observation, goal, slotOf).filter((s) => s.kind !== "wait");
      const total = done + ahead.length;
      const position =
        step.kind === "wait"
          ? `waiting, ${done}/${total} steps done, ${from}→${goal.size}`
          : `step ${done + 1}/${total} of ${from}→${goal.size}`;
      mayAct();
      if (options.snapshot && !snapshot && changesMembership(step)) {
        options.log(
          `${PROGRESS_PREFIX} ${step.slot.name}: safety snapshot to ${options.snapshot.directory} before the first membership change`,
        );
        const outcome = await takeSafetySnapshot(
          observation,
          slotOf,
          access.endpoints,
          access.admin,
          options.snapshot,
        );
        if (!outcome.ok)
          throw membershipRefusal(
            workload.describe(),
            `the safety snapshot failed, so no membership change was made: ${outcome.failures.join("; ")}. ` +
              "Fix the cause (snapshots.directory writable, space left, members reachable), then rerun.",
          );
        snapshot = outcome.record;
        options.log(
          `${PROGRESS_PREFIX} ${snapshot.member}: safety snapshot ${snapshot.path} (${snapshot.bytes} bytes, sha256 ${snapshot.sha256}) verified`,
        );
      }
      options.log(`${PROGRESS_PREFIX} ${describeStep(step)} (${position})`);
      await options.onStepBoundary?.(step);
      mayAct();
      const started = Date.now();
      if (step.kind === "wait") {
        const isSame = (d: Decision) => d.kind === "step" && sameStep(d.step, step);
        const { changed, last } = await until(options.waitBudgetMs, isSame, seen);
        if (!changed)
          throw new Error(
            `${PROGRESS_PREFIX} ${workload.describe()}: gave up after ${options.waitBudgetMs / 1000} s: ` +
              `${describeStep(step)}; last observed: ${describeObservation(last.observation, slotOf)}`,
          );
        seen = changed;
      } else {
        const context = {
          workload,
          admin: access.admin,
          endpoints: access.endpoints,
          leader: leaderOrdinal(observation),
        };
        await execute(step, context).catch((error: unknown) => {
          throw new Error(`${PROGRESS_PREFIX} ${describeStep(step)} failed: ${errorText(error)}`, {
            cause: error,
          });
        });
        seen = await look();
      }
      records.push({ description: describeStep(step), kind: step.kind, ms: Date.now() - started });
    }
  } finally {
    await disconnect(access);
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
