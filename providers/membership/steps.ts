/**
 * The single next action the plan asks for, and the words used to report it. Every step names the
 * member it concerns, so a progress line or an error always says which member is affected.
 */
import { DATA_VOLUME } from "../../components/naming";
import type { JoinConfig, MemberSlot } from "./types";

export type Step =
  | {
      kind: "write-join-config";
      slot: MemberSlot;
      config: JoinConfig;
      /** bootstrap: member 0 founds the cluster; join: the learner at `slot` joins; settle: no join pending. */
      purpose: "bootstrap" | "join" | "settle";
    }
  | { kind: "scale"; slot: MemberSlot; replicas: number; from: number }
  | { kind: "delete-volume"; slot: MemberSlot; reason: "stale" | "removed" }
  | { kind: "add-learner"; slot: MemberSlot }
  | { kind: "promote"; slot: MemberSlot; memberId: string }
  | { kind: "move-leader"; slot: MemberSlot; target: MemberSlot; targetId: string }
  | { kind: "remove-member"; slot: MemberSlot; memberId: string; learner: boolean }
  | {
      kind: "wait";
      slot: MemberSlot;
      /**
       * answering: the bootstrap member serves with a leader; caught-up: the learner started and
       * caught up; pod-gone: a pod above the members is gone; back: a voter whose pod is being
       * replaced (a rollout, a deleted pod) answers again.
       */
      until: "answering" | "caught-up" | "pod-gone" | "back";
    };

export type Decision =
  { kind: "step"; step: Step } | { kind: "done" } | { kind: "refuse"; reason: string };

export const volumeName = (slot: MemberSlot): string => `${DATA_VOLUME}-${slot.name}`;

/** `name=peerURL` pairs as etcd's --initial-cluster takes them. */
export const initialCluster = (slots: MemberSlot[]): string =>
  slots.map((s) => `${s.name}=${s.peerURL}`).join(",");

const memberNames = (config: JoinConfig): string =>
  config.initialCluster
    .split(",")
    .map((pair) => pair.split("=")[0])
    .join(", ");

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

function actionText(step: Step): string {
  switch (step.kind) {
    case "write-join-config":
      if (step.purpose === "bootstrap")
        return `write join configuration (new cluster of ${memberNames(step.config)})`;
      if (step.purpose === "join")
        return `write join configuration (existing cluster of ${memberNames(step.config)})`;
      return `write join configuration (existing cluster of ${memberNames(step.config)}, no join pending)`;
    case "scale":
      return `scale to ${step.replicas} replica(s) (${step.replicas > step.from ? "start" : "stop"} pod)`;
    case "delete-volume":
      return step.reason === "stale"
        ? `delete stale volume ${volumeName(step.slot)} (its member left the cluster)`
        : `delete volume ${volumeName(step.slot)}`;
    case "add-learner":
      return "add as learner";
    case "promote":
      return "learner caught up, promote to voter";
    case "move-leader":
      return `move leadership to ${step.target.name}`;
    case "remove-member":
      return step.learner ? "remove unfinished learner" : "remove member";
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
