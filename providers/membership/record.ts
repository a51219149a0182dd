/**
 * The cluster record: the durable identity of one etcd cluster, kept in the cluster next to its
 * members (the join ConfigMap's annotations on Kubernetes), and the join settings every pod reads
 * at start, derived from it.
 *
 * Why a record: which engine call is running (create or update) says nothing about what exists. A
 * create may be the retry of a create that got halfway, a re-create over volumes a destroy kept, or
 * a fresh start; only what the cluster records tells them apart (docs/design.md, invariant 11).
 *
 * Why the join settings take this shape: with a data directory etcd ignores every
 * `--initial-cluster*` setting, and without one it joins (or founds) a cluster under the name the
 * settings give it. So the settings name a member plainly only where starting on an empty volume
 * is right: member 0 while the cluster is being founded, or the learner being added. Every other
 * member is listed under `<name>.started`, and etcd refuses to start a member on an empty volume
 * whose own name is missing ("couldn't find local name") before it contacts anyone: a member
 * starts only on its own data.
 */
import type { MemberSlot } from "../../model/naming";
import { type JoinSettings, STARTED_SUFFIX } from "../../model/joinContract";

export interface ClusterRecord {
  /** Who manages the cluster (project/stack/resource): another owner's record is another cluster. */
  owner: string;
  /** The bootstrap's `--initial-cluster-token`: random per cluster, so its cluster ID is unique. */
  token: string;
  /** The etcd cluster ID (hex) once a member answered with it; absent while being founded. */
  clusterId?: string;
  /** Member ID (hex) by ordinal, of every member the provider added or found. */
  members: Record<number, string>;
  /** The ordinal of the learner being added: the only member that may start on an empty volume. */
  joining?: number;
  /**
   * Written when the record was lost and no member answers: the ordinals whose members may start
   * on their own data (and only on it) so that the cluster can be seen and recorded again.
   */
  awaiting?: number[];
}

/** The record as read back, with what the store could tell about it. */
export interface RecordReading {
  /** Where it is kept, for messages: e.g. `ConfigMap db/etcd-join`. */
  location: string;
  /** Undefined when the store holds join settings but no record (written by an earlier version). */
  record?: ClusterRecord;
  /** The join settings as stored, which the pods read. */
  join: JoinSettings;
  /** When the record was last written, in the store's clock (ms); pods' times use the same clock. */
  writtenAt?: number;
  /** Its deletion was requested (e.g. by hand): it must be written again before pods need it. */
  doomed: boolean;
}

export const memberOrdinals = (record: ClusterRecord): number[] =>
  Object.keys(record.members)
    .map(Number)
    .sort((a, b) => a - b);

/** Ordinals of recorded voters: every recorded member but the learner being added. */
export const recordedVoters = (record: ClusterRecord): number[] =>
  memberOrdinals(record).filter((k) => k !== record.joining);

export function joinSettings(
  record: ClusterRecord,
  slotOf: (k: number) => MemberSlot,
): JoinSettings {
  if (record.clusterId === undefined && record.awaiting !== undefined) {
    const entries = record.awaiting.map(
      (k) => `${slotOf(k).name}${STARTED_SUFFIX}=${slotOf(k).peerURL}`,
    );
    return { state: "existing", initialCluster: entries.join(","), token: record.token };
  }
  if (record.clusterId === undefined) {
    const first = slotOf(0);
    return { state: "new", initialCluster: `${first.name}=${first.peerURL}`, token: record.token };
  }
  const entries = memberOrdinals(record).map((k) => {
    const slot = slotOf(k);
    const name = k === record.joining ? slot.name : `${slot.name}${STARTED_SUFFIX}`;
    return `${name}=${slot.peerURL}`;
  });
  return { state: "existing", initialCluster: entries.join(","), token: record.token };
}

export const sameJoinSettings = (a: JoinSettings, b: JoinSettings): boolean =>
  a.state === b.state && a.initialCluster === b.initialCluster && a.token === b.token;

export function sameRecord(a: ClusterRecord, b: ClusterRecord): boolean {
  const members = (r: ClusterRecord) =>
    JSON.stringify(memberOrdinals(r).map((k) => [k, r.members[k]]));
  return (
    a.owner === b.owner &&
    a.token === b.token &&
    a.clusterId === b.clusterId &&
    a.joining === b.joining &&
    JSON.stringify(a.awaiting) === JSON.stringify(b.awaiting) &&
    members(a) === members(b)
  );
}

/** `etcd-0=8e9e05c52164694d,etcd-1=…`: readable in `kubectl get configmap -o yaml`. */
export function formatMembers(record: ClusterRecord, slotOf: (k: number) => MemberSlot): string {
  return memberOrdinals(record)
    .map((k) => `${slotOf(k).name}=${record.members[k]}`)
    .join(",");
}

/** The inverse of formatMembers; undefined when a name is not one of this cluster's members. */
export function parseMembers(
  text: string,
  ordinalOf: (name: string) => number | undefined,
): Record<number, string> | undefined {
  const members: Record<number, string> = {};
  for (const pair of text.split(",").filter((p) => p !== "")) {
    const [name, id] = pair.split("=");
    const ordinal = ordinalOf(name);
    if (ordinal === undefined || !/^[0-9a-f]{1,16}$/.test(id ?? "")) return undefined;
    members[ordinal] = id;
  }
  return members;
}
