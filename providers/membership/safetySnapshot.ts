/**
 * The safety snapshot: taken once per run, right before the run's first step that changes etcd
 * membership (or leadership, which precedes a removal), so a run that changes nothing takes none
 * and a resumed run takes a fresh one. Taken from the leader, else from another voter that answers.
 */
import type { EtcdAdmin } from "../etcd/admin";
import { errorText } from "../etcd/errors";
import type { SnapshotSettings } from "../../model/config/snapshotRules";
import { type SnapshotRecord, takeSnapshot } from "../snapshots/store";
import type { Observation, SlotOf, StatusAnswer, StatusReading } from "./observation";
import type { Endpoints } from "./observe";
import type { Step } from "./steps";

export interface SafetySnapshotOptions extends SnapshotSettings {
  /** File name prefix: the cluster name. */
  cluster: string;
  /** Deadline of one snapshot stream. */
  timeoutMs?: number;
}

// An array, not a Set: Pulumi's function serialization captures module values by value and turns
// a Set into a plain object.
const CHANGES_MEMBERSHIP: readonly Step["kind"][] = [
  "add-learner",
  "promote",
  "move-leader",
  "remove-member",
];

export const changesMembership = (step: Step): boolean => CHANGES_MEMBERSHIP.includes(step.kind);

/** Voters that answered Status, the leader first. */
function sources(o: Observation): number[] {
  const voters = o.statuses.filter((s: StatusReading): s is StatusAnswer => s.ok && !s.isLearner);
  const leads = (s: StatusAnswer) => Number(s.leader === s.memberId);
  return voters.sort((a, b) => leads(b) - leads(a)).map((s) => s.ordinal);
}

export type SnapshotOutcome =
  { ok: true; record: SnapshotRecord } | { ok: false; failures: string[] };

export async function takeSafetySnapshot(
  o: Observation,
  slotOf: SlotOf,
  endpoints: Endpoints,
  admin: EtcdAdmin,
  options: SafetySnapshotOptions,
): Promise<SnapshotOutcome> {
  const failures: string[] = [];
  for (const ordinal of sources(o)) {
    const member = slotOf(ordinal).name;
    try {
      const url = await endpoints.url(ordinal);
      const record = await takeSnapshot(
        admin,
        url,
        member,
        options.cluster,
        options,
        options.timeoutMs,
      );
      return { ok: true, record };
    } catch (error) {
      failures.push(`${member}: ${errorText(error)}`);
    }
  }
  if (failures.length === 0) failures.push("no voter answered to take it from");
  return { ok: false, failures };
}
