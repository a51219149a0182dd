/**
 * Defragmentation as an explicit operation (`npm run defrag`): members one at a time, followers
 * first and the leader last, because a defragmenting member blocks all its requests, and a healthy
 * cluster before each member, so no more than one member is ever out at once.
 */
import type { Budget } from "../providers/backoff";
import { pollUntil } from "../providers/backoff";
import type { EtcdAdmin } from "../providers/etcd/admin";
import { Endpoints, observe } from "../providers/membership/observe";
import type { Observation, StatusAnswer } from "../providers/membership/observation";
import type { Workload } from "../providers/membership/types";
import { healthProblem } from "./clusterHealth";

export interface DefragmentOptions {
  /** One progress line at a time. */
  log: (line: string) => void;
  /** How long to wait for the cluster to be healthy again after each member. */
  healthBudget: Budget;
}

export const DEFAULT_DEFRAGMENT_OPTIONS: DefragmentOptions = {
  log: (line) => console.log(line),
  healthBudget: { budgetMs: 120_000, initialDelayMs: 50, maxDelayMs: 2_000 },
};

export interface MemberDefragmented {
  name: string;
  id: string;
  dbSizeBefore: number;
  dbSizeAfter: number;
}

export class DefragmentRefusal extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DefragmentRefusal";
  }
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** Followers by ordinal, then the leader. */
function defragmentOrder(o: Observation): StatusAnswer[] {
  const answers = o.statuses.filter((s): s is StatusAnswer => s.ok);
  const leads = (s: StatusAnswer) => (s.leader === s.memberId ? 1 : 0);
  return [...answers].sort((a, b) => leads(a) - leads(b) || a.ordinal - b.ordinal);
}

export async function defragmentCluster(
  workload: Workload,
  admin: EtcdAdmin,
  options: DefragmentOptions = DEFAULT_DEFRAGMENT_OPTIONS,
): Promise<MemberDefragmented[]> {
  const endpoints = new Endpoints(workload, admin);
  const slotOf = (k: number) => workload.slot(k);
  const prefix = `[etcd defrag] ${workload.describe()}`;
  try {
    const first = await observe(workload, endpoints, admin);
    const problem = healthProblem(first, slotOf);
    if (problem)
      throw new DefragmentRefusal(
        `${prefix}: not defragmenting, the cluster is not healthy: ${problem}`,
      );
    const order = defragmentOrder(first);
    const done: MemberDefragmented[] = [];
    for (const [i, member] of order.entries()) {
      const name = slotOf(member.ordinal).name;
      const role = member.leader === member.memberId ? "leader" : "follower";
      const step = `${name} (${role}, ${i + 1}/${order.length})`;
      const url = await endpoints.url(member.ordinal);
      const before = (await admin.status(url)).dbSize;
      options.log(`${prefix}: ${step}: defragment, db size ${mib(before)}`);
      await admin.defragment(url);
      const after = (await admin.status(url)).dbSize;
      options.log(`${prefix}: ${step}: db size ${mib(before)} -> ${mib(after)}`);
      done.push({ name, id: member.memberId, dbSizeBefore: before, dbSizeAfter: after });
      let last = "";
      const healthy = await pollUntil(options.healthBudget, async () => {
        last = healthProblem(await observe(workload, endpoints, admin), slotOf) ?? "";
        return last === "" ? true : undefined;
      });
      if (!healthy) {
        const left = order.slice(i + 1).map((s) => slotOf(s.ordinal).name);
        throw new DefragmentRefusal(
          `${prefix}: stopped after ${name}: the cluster did not become healthy within ${options.healthBudget.budgetMs} ms (${last}); ` +
            `not defragmented: ${left.join(", ") || "none"}. Bring the members back, then rerun.`,
        );
      }
    }
    options.log(`${prefix}: done, ${done.length} member(s) defragmented`);
    return done;
  } finally {
    await endpoints.closeAll();
  }
}
