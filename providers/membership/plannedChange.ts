/**
 * The planned change `check` records as inputs, so `pulumi preview --diff` shows each member added
 * or removed and one readable line. Computed from the sizes alone: preview makes no network calls.
 */
import { type ClusterIdentity, podName } from "../../model/naming";
import type { PlannedChange } from "../../model/membership/inputs";
import type { VolumePolicy } from "../../model/config/rules";

export interface PlanSubject {
  clusterName: string;
  namespace: string;
  clusterDomain: string;
  volumePolicy: VolumePolicy;
}

const range = (from: number, to: number): number[] =>
  Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

export function plannedChange(
  oldSize: number | undefined,
  newSize: number,
  subject: PlanSubject,
): PlannedChange {
  const identity: ClusterIdentity = {
    name: subject.clusterName,
    namespace: subject.namespace,
    clusterDomain: subject.clusterDomain,
  };
  const name = (k: number) => podName(identity, k);
  const members = range(0, newSize).map(name);
  return { members, plan: planLine(oldSize, newSize, subject.volumePolicy, name) };
}

function planLine(
  oldSize: number | undefined,
  newSize: number,
  policy: VolumePolicy,
  name: (k: number) => string,
): string {
  if (oldSize === undefined) {
    const grow = range(1, newSize).map(name);
    if (grow.length === 0) return `bootstrap ${name(0)}`;
    return `bootstrap ${name(0)}, then ${addLine(grow)}`;
  }
  if (newSize > oldSize) return addLine(range(oldSize, newSize).map(name));
  if (newSize < oldSize) {
    const removed = range(newSize, oldSize).reverse().map(name);
    const one = removed.length === 1;
    const order = one ? removed[0] : `${removed.slice(0, -1).join(", ")}, then ${removed.at(-1)}`;
    const volumes =
      policy === "Delete"
        ? `delete ${one ? "its volume" : "their volumes"}`
        : `keep ${one ? "its volume" : "their volumes"} until re-added`;
    return `remove ${order} (leader moved first if needed) and ${volumes}`;
  }
  return "no membership change";
}

function addLine(added: string[]): string {
  if (added.length === 1) return `add ${added[0]} as a learner, then promote it`;
  return `add ${added.join(", ")} as learners one at a time, promoting each`;
}
