/** Carries out one planned step through the two narrow interfaces: etcd and the workload. */
import type { EtcdAdmin } from "../etcd/admin";
import { scaleWorkload } from "./guard";
import type { Endpoints } from "./observe";
import type { Step } from "./steps";
import type { Workload } from "./types";

export type ActionStep = Exclude<Step, { kind: "wait" }>;

export interface StepContext {
  workload: Workload;
  admin: EtcdAdmin;
  endpoints: Endpoints;
  /** Ordinal of the member that leads; membership calls are sent there. */
  leader: number | undefined;
}

async function leaderURL(ctx: StepContext, step: Step): Promise<string> {
  if (ctx.leader === undefined)
    throw new Error(`${step.slot.name}: no leader is known to send the membership call to`);
  return ctx.endpoints.url(ctx.leader);
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
    case "add-learner":
      await ctx.admin.addLearner(await leaderURL(ctx, step), step.slot.peerURL);
      return;
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
