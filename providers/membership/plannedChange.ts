/**
 * The planned change `check` records as inputs, so `pulumi preview --diff` shows each member added
 * or removed and one readable line. Rendered from the steps the plan itself takes from a healthy
 * cluster of the old size (preview.ts), so preview says what a run does, without a network call.
 */
import type { VolumePolicy } from "../../model/config/rules";
import type { PlannedChange } from "../../model/membership/inputs";
import { clusterIdentity, memberSlot } from "../../model/naming";
import type { Observation, SlotOf } from "./observation";
import { clusterBefore, previewGoal } from "./preview";
import { predictSteps } from "./simulate";
import type { Step } from "./steps";

export interface PlanSubject {
  clusterName: string;
  namespace: string;
  clusterDomain: string;
  volumePolicy: VolumePolicy;
}

/** What the steps do to the membership, by member name, in the order they do it. */
interface Outline {
  founder?: string;
  added: string[];
  removed: string[];
  leaderMoved: boolean;
  volumesDeleted: boolean;
  /** The members after the change, by ordinal. */
  members: string[];
}

export function plannedChange(
  oldSize: number | undefined,
  newSize: number,
  subject: PlanSubject,
): PlannedChange {
  // Peer URLs only match members to slots inside the prediction: their scheme makes no difference.
  const identity = clusterIdentity(subject);
  const slotOf: SlotOf = (k) => memberSlot(identity, k);
  const start = clusterBefore(oldSize, slotOf);
  const steps = predictSteps(start, previewGoal(newSize, subject.volumePolicy), slotOf);
  const outline = outlineOf(start, steps);
  return { members: outline.members, plan: planLine(outline) };
}

function outlineOf(start: Observation, steps: Step[]): Outline {
  const names = (kind: Step["kind"]) =>
    steps.filter((s) => s.kind === kind).map((s) => s.slot.name);
  const founder = steps.find((s) => s.kind === "write-record" && s.purpose === "found")?.slot.name;
  const added = names("add-learner");
  const removed = names("remove-member");
  const deleted = names("delete-volume");
  const before = start.cluster.reachable ? start.cluster.members.map((m) => m.name) : [];
  const after = [...before, ...(founder ? [founder] : []), ...added];
  return {
    ...(founder ? { founder } : {}),
    added,
    removed,
    leaderMoved: steps.some((s) => s.kind === "move-leader"),
    volumesDeleted: removed.every((name) => deleted.includes(name)),
    members: after.filter((name) => !removed.includes(name)),
  };
}

function planLine(outline: Outline): string {
  const phrases: string[] = [];
  if (outline.founder) phrases.push(`bootstrap ${outline.founder}`);
  if (outline.added.length > 0) phrases.push(addPhrase(outline.added));
  if (outline.removed.length > 0) phrases.push(removePhrase(outline));
  return phrases.length === 0 ? "no membership change" : phrases.join(", then ");
}

function addPhrase(added: string[]): string {
  if (added.length === 1) return `add ${added[0]} as a learner, then promote it`;
  return `add ${added.join(", ")} as learners one at a time, promoting each`;
}

function removePhrase({ removed, leaderMoved, volumesDeleted }: Outline): string {
  const one = removed.length === 1;
  const order = one ? removed[0] : `${removed.slice(0, -1).join(", ")}, then ${removed.at(-1)}`;
  const leader = leaderMoved ? " (leader moved first if needed)" : "";
  const theirs = one ? "its volume" : "their volumes";
  const volumes = volumesDeleted ? `delete ${theirs}` : `keep ${theirs} until re-added`;
  return `remove ${order}${leader} and ${volumes}`;
}
