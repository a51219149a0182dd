/**
 * The single next action the plan asks for, and the words used to report it. Every step names the
 * member it concerns, so a progress line or an error always says which member is affected.
 */
import { podVolumeName, type MemberSlot } from "../../model/naming";
import type { ClusterRecord } from "./record";

export type Step =
  | {
      kind: "write-record";
      slot: MemberSlot;
      record: ClusterRecord;
      /**
       * found: a new cluster, member 0 founds it; record: the record follows the live cluster (its
       * ID, its members, the learner being added); restore: the record was missing or being deleted.
       */
      purpose: "found" | "record" | "restore";
      /** The recorded members as `name=id` pairs, and the name of the learner that may join. */
      members: string;
      joining?: string;
    }
  | { kind: "scale"; slot: MemberSlot; replicas: number; from: number }
  | { kind: "delete-volume"; slot: MemberSlot; reason: "stale" | "removed" }
  /** The volume of a former member whose pod scaling cannot stop (an ordinal below others). */
  | { kind: "replace-volume"; slot: MemberSlot }
  /** Its pod started before the join settings it needs were written. */
  | { kind: "restart-pod"; slot: MemberSlot }
  | { kind: "label"; slot: MemberSlot; voter: boolean }
  | { kind: "add-learner"; slot: MemberSlot }
  | { kind: "promote"; slot: MemberSlot; memberId: string }
  | { kind: "move-leader"; slot: MemberSlot; target: MemberSlot; targetId: string }
  | {
      kind: "remove-member";
      slot: MemberSlot;
      memberId: string;
      /**
       * size: the size shrinks; replace: asked for, or its volume lost its data; learner: an
       * unfinished learner no longer wanted, or one that lost its data.
       */
      why: "size" | "replace" | "learner";
    }
  | {
      kind: "wait";
      slot: MemberSlot;
      /**
       * answering: the founding member serves with a leader; caught-up: the learner started and
       * caught up; pod-gone: a pod above the members is gone; back: a voter whose pod is being
       * replaced (a rollout, a deleted pod) answers again.
       */
      until: "answering" | "caught-up" | "pod-gone" | "back";
    };

export type Decision =
  | { kind: "step"; step: Step }
  | { kind: "done" }
  /**
   * Nothing may be changed. `waitable`: the cause may pass by itself (members that do not answer
   * for a moment), so the reconciler looks again for a bounded time before it reports the refusal.
   */
  | { kind: "refuse"; reason: string; waitable?: boolean };

export const volumeName = (slot: MemberSlot): string => podVolumeName(slot.name);

function waitText(step: Extract<Step, { kind: "wait" }>): string {
  switch (step.until) {
    case "answering":
      return "wait until the first member serves with a leader";
    case "caught-up":
      return "wait until the learner has started and caught up with the leader";
    case "pod-gone":
      return "wait until the pod is gone";
    case "back":
      return "wait until the member answers again (its pod is being replaced, e.g. by a rollout)";
  }
}

function recordText(step: Extract<Step, { kind: "write-record" }>): string {
  if (step.purpose === "found")
    return "record a new cluster: this member founds it on an empty volume";
  if (step.record.awaiting)
    return `the cluster record is missing: let ${step.record.awaiting.length} member(s) start on their own data only, to find the cluster again`;
  const { record } = step;
  const joining = step.joining ? `; ${step.joining} may join` : "";
  const what = `cluster ${record.clusterId ?? "(being founded)"}, members ${step.members || "none"}${joining}`;
  return step.purpose === "restore"
    ? `write the missing cluster record again (${what})`
    : `record ${what}`;
}

function actionText(step: Step): string {
  switch (step.kind) {
    case "write-record":
      return recordText(step);
    case "scale":
      return `scale to ${step.replicas} replica(s) (${step.replicas > step.from ? "start" : "stop"} pod)`;
    case "delete-volume":
      return step.reason === "stale"
        ? `delete stale volume ${volumeName(step.slot)} (its member left the cluster)`
        : `delete volume ${volumeName(step.slot)}`;
    case "replace-volume":
      return `replace volume ${volumeName(step.slot)} with an empty one (its member left the cluster)`;
    case "restart-pod":
      return "restart the pod: it started before its join settings were written";
    case "label":
      return step.voter
        ? "label the pod as a voter (the PodDisruptionBudget counts it)"
        : "remove the pod's voter label (the PodDisruptionBudget no longer counts it)";
    case "add-learner":
      return "add as learner";
    case "promote":
      return "learner caught up, promote to voter";
    case "move-leader":
      return `move leadership to ${step.target.name}`;
    case "remove-member":
      if (step.why === "learner") return "remove unfinished learner";
      return step.why === "replace" ? "remove member, to replace it" : "remove member";
    case "wait":
      return waitText(step);
  }
}

/** One readable line naming member and phase, e.g. "etcd-3: add as learner". */
export const describeStep = (step: Step): string => `${step.slot.name}: ${actionText(step)}`;

/** Equal when two decisions ask for the same thing, so a repeated wait is recognised as one wait. */
export function sameStep(a: Step, b: Step): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
