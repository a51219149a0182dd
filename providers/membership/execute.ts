/** Carries out one planned step through the two narrow interfaces: etcd and the workload. */
import type { EtcdAdmin } from "../etcd/admin";
import { scaleWorkload } from "./guard";
import type { Endpoints } from "./observe";
import type { Step } from "./steps";
import type { Workload } from "./types";
import { errorText } from "../etcd/errors";

export type ActionStep = Exclude<Step, { kind: "wait" }>;

export interface StepContext {
  workload: Workload;
  admin: EtcdAdmin;
  endpoints: Endpoints;
  /** Ordinal of the member that leads; membership calls are sent there. */
  leader: number | undefined;
  /**
   * Ordinals of the voters that answered. An add goes to the leader first, then to each of them:
   * etcd checks it against the connections of the member that receives it.
   */
  voters: number[];
  /** Progress while a step is held up (the caller adds the progress prefix). */
  log: (line: string) => void;
}

async function leaderURL(ctx: StepContext, step: Step): Promise<string> {
  if (ctx.leader === undefined)
    throw new Error(`${step.slot.name}: no leader is known to send the membership call to`);
  return ctx.endpoints.url(ctx.leader);
}

/** What a user watching should know when etcd holds an add back. */
function addRefusedLine(name: string, asked: number, refusal: unknown): string {
  const text = errorText(refusal);
  const who = asked > 1 ? `none of the ${asked} voters took it` : "the leader did not take it";
  if (!text.includes("unhealthy cluster"))
    return `${name}: not added yet: ${who} (${text}); retrying`;
  return (
    `${name}: not added yet: ${who} (${text}): etcd takes an add only at a member that has ` +
    "been connected to a quorum of the grown cluster for 5 s, so a member that just joined holds " +
    "the next add back about 5 s; retrying"
  );
}

/** Said once per step: the retries that follow would only repeat it. */
function onceOnly(say: (refusal: unknown) => void): (refusal: unknown) => void {
  let said = false;
  return (refusal) => {
    if (!said) say(refusal);
    said = true;
  };
}

export async function execute(step: ActionStep, ctx: StepContext): Promise<void> {
  switch (step.kind) {
    case "write-record":
      return ctx.workload.writeRecord(step.record);
    case "scale":
      return scaleWorkload(ctx.workload, step.replicas);
    case "delete-volume":
      return ctx.workload.deleteVolume(step.slot.ordinal);
    case "replace-volume":
      // The pod goes away with it: its endpoint must be opened afresh afterwards.
      await ctx.endpoints.drop(step.slot.ordinal);
      return ctx.workload.replaceVolume(step.slot.ordinal);
    case "restart-pod":
      await ctx.endpoints.drop(step.slot.ordinal);
      return ctx.workload.restartPod(step.slot.ordinal);
    case "label":
      return ctx.workload.labelVoter(step.slot.ordinal, step.voter);
    case "add-learner": {
      const others = ctx.voters.filter((k) => k !== ctx.leader);
      const urls = [
        await leaderURL(ctx, step),
        ...(await Promise.all(others.map((k) => ctx.endpoints.url(k)))),
      ];
      const say = onceOnly((refusal) =>
        ctx.log(addRefusedLine(step.slot.name, urls.length, refusal)),
      );
      await ctx.admin.addLearner(urls, step.slot.peerURL, say);
      return;
    }
    case "promote":
      await ctx.admin.promote(await leaderURL(ctx, step), step.memberId);
      return;
    case "move-leader":
      await ctx.admin.moveLeader(await leaderURL(ctx, step), step.targetId);
      return;
    case "remove-member":
      await ctx.admin.remove(await leaderURL(ctx, step), step.memberId);
      return;
  }
}
