/**
 * The membership plan: from one observation of the live system, the single next step towards the
 * goal, or done, or a refusal that changes nothing. Pure, so every rule is unit-tested and a rerun
 * after any interruption resumes from whatever the live state is.
 *
 * Every decision rests on durable evidence, never on which engine call is running
 * (docs/design.md, invariants 11 to 13): the cluster record says whether a cluster was founded and by whom,
 * etcd says who its members are, the volumes' ages say whether they predate the workload, and a
 * pod's last exit says whether its volume holds data. When etcd cannot be observed, nothing that
 * could cost a member its pod, its data or its join settings is done.
 */
import { foundedIdentity } from "../etcd/identity";
import { alarmRefusal } from "./alarmAdvice";
import {
  type ClusterView,
  type SlotMember,
  answer,
  describeMember,
  describePod,
  isCaughtUp,
  viewCluster,
  voterProblem,
} from "./clusterView";
import type { Goal, LiveMember, Observation, SlotOf } from "./observation";
import {
  type ClusterRecord,
  formatMembers,
  joinSettings,
  memberOrdinals,
  sameJoinSettings,
  sameRecord,
} from "./record";
import { type Decision, type Step, volumeName } from "./steps";
import type { PodState, VolumeState } from "./types";

const step = (s: Step): Decision => ({ kind: "step", step: s });
const refuse = (reason: string, waitable = false): Decision =>
  waitable ? { kind: "refuse", reason, waitable } : { kind: "refuse", reason };

/** etcd's majority: the voters that must agree for any write or membership change. */
export const quorum = (voters: number): number => Math.floor(voters / 2) + 1;

/** etcd's own words when a member starts on an empty volume that the join settings do not name. */
const EMPTY_VOLUME_EXIT = /couldn't find local name/;

/** A restart count past which a pod is failing rather than starting slowly. */
const FAILING_RESTARTS = 3;

const podAt = (o: Observation, k: number): PodState | undefined =>
  o.pods.find((p) => p.ordinal === k);

const volumeAt = (o: Observation, k: number): VolumeState | undefined =>
  o.volumes.find((v) => v.ordinal === k);

const volumeNames = (ordinals: number[], slotOf: SlotOf): string =>
  ordinals.map((k) => volumeName(slotOf(k))).join(", ");

function podLines(o: Observation, slotOf: SlotOf): string {
  if (o.pods.length === 0) return "no pods";
  return o.pods.map((p) => describePod(p, slotOf(p.ordinal).name)).join("; ");
}

/** Created before the workload: a StatefulSet never creates a claim before it exists itself. */
function predatesWorkload(o: Observation, v: VolumeState): boolean {
  return (
    v.createdAt !== undefined &&
    o.workloadCreatedAt !== undefined &&
    v.createdAt < o.workloadCreatedAt
  );
}

/** The pod's last exit says etcd found no data on its volume (see record.ts). */
const exitedOnEmptyVolume = (pod: PodState | undefined): boolean =>
  pod?.lastTermination !== undefined && EMPTY_VOLUME_EXIT.test(pod.lastTermination);

function describeRecord(record: ClusterRecord, slotOf: SlotOf): string {
  if (record.awaiting)
    return `a cluster whose record was lost; ${record.awaiting.map((k) => slotOf(k).name).join(", ")} may start on their own data`;
  const members = formatMembers(record, slotOf) || "no members yet";
  return `cluster ${record.clusterId ?? "(being founded)"} with ${members}`;
}

export function plan(o: Observation, goal: Goal, slotOf: SlotOf): Decision {
  return (
    refuseOtherOwner(o, goal) ??
    (o.cluster.reachable
      ? planObserved(o, o.cluster, goal, slotOf)
      : planUnobserved(o, o.cluster.reason, goal, slotOf))
  );
}

function refuseOtherOwner(o: Observation, goal: Goal): Decision | undefined {
  const owner = o.record?.record?.owner;
  if (owner === undefined || owner === goal.owner) return undefined;
  return refuse(
    `the cluster record (${o.record?.location}) says this cluster is managed by ${owner}, not by ${goal.owner}; ` +
      "two programs must never change one cluster, so nothing was changed. If this program is to manage it from now on " +
      `(the stack was renamed, say) and ${owner} no longer does, set the record's owner to ${goal.owner}, then rerun.`,
  );
}

// ---------------------------------------------------------------------------------------------
// No member answers.

/**
 * Unobserved means untouched: without an answer from etcd nothing is scaled down, no volume is
 * deleted, no join setting of a cluster that may exist is rewritten. What remains: found a new
 * cluster where the evidence says none can exist, wait for the founding member, start the pods of
 * recorded members that were stopped, or refuse (after a bounded wait) with what was seen.
 */
function planUnobserved(o: Observation, reason: string, goal: Goal, slotOf: SlotOf): Decision {
  const seen = `no etcd member answers (${reason}); ${podLines(o, slotOf)}`;
  const reading = o.record;
  const record = reading?.record;
  if (reading && (!record || record.clusterId !== undefined || record.awaiting)) {
    const ordinals = record ? [...memberOrdinals(record), ...(record.awaiting ?? [])] : [];
    const extent = ordinals.length > 0 ? Math.max(...ordinals) + 1 : 0;
    if (o.replicas < extent)
      return step({ kind: "scale", slot: slotOf(o.replicas), replicas: extent, from: o.replicas });
    const what = record
      ? describeRecord(record, slotOf)
      : `join settings in ${reading.location} written by an earlier version`;
    return refuse(
      `${seen}. This cluster exists (${what}), so nothing was changed: while no member can be seen, ` +
        "no pod is stopped, no volume deleted and no join setting rewritten. Start the members again " +
        "(their pods must run and answer), then rerun.",
      true,
    );
  }
  if (record) return planFounding(o, reading, record, slotOf);
  return (
    refuseEarlierVolumes(o, slotOf) ??
    letMembersStartAgain(o, goal, slotOf) ??
    foundCluster(goal, slotOf)
  );
}

/** The record says member 0 founds the cluster: let it, and wait for its answer. */
function planFounding(
  o: Observation,
  reading: NonNullable<Observation["record"]>,
  record: ClusterRecord,
  slotOf: SlotOf,
): Decision {
  const first = slotOf(0);
  if (reading.doomed || !sameJoinSettings(reading.join, joinSettings(record, slotOf)))
    return step(writeRecord(first, record, "restore", slotOf));
  if (o.replicas === 0) return step({ kind: "scale", slot: first, replicas: 1, from: 0 });
  return step({ kind: "wait", slot: first, until: "answering" });
}

/**
 * With no record and no answer, a new cluster may be founded only where nothing can hold data: no
 * volume older than the workload (a destroyed cluster's), no pod that ever ran etcd, no pod or
 * volume beyond the first (a new StatefulSet has one).
 */
function refuseEarlierVolumes(o: Observation, slotOf: SlotOf): Decision | undefined {
  const earlier = o.volumes.filter((v) => predatesWorkload(o, v)).map((v) => v.ordinal);
  if (earlier.length === 0) return undefined;
  // A pod that mounts a claim keeps it from being deleted; the workload's pods never ran etcd.
  const waiting = earlier.filter((k) => k < o.replicas).map((k) => slotOf(k).name);
  const pods =
    waiting.length === 0
      ? ""
      : ` and the pod(s) waiting on them (${waiting.join(", ")}: they never started etcd)`;
  return refuse(
    `volumes older than the workload exist: ${volumeNames(earlier, slotOf)}. They hold the data of an ` +
      "earlier cluster of this name (e.g. one destroyed with its volumes kept), and a new cluster never starts on " +
      `another's data, so nothing was changed. To start an empty cluster, save what you need from them, then delete ` +
      `them${pods} and rerun; to bring that cluster back instead, restore it from a snapshot (docs/operations.md, "Restoring from a snapshot").`,
  );
}

/**
 * Pods that ran etcd, or more than one member's pod or volume, and no record: a cluster of this
 * workload whose record was lost (deleted with its finalizer, say) and whose pods then restarted
 * and wait for their join settings. Settings that let every member start on its own data, and none
 * on an empty volume, bring it back without founding or joining anything; once it answers, the
 * next look records it.
 */
function letMembersStartAgain(o: Observation, goal: Goal, slotOf: SlotOf): Decision | undefined {
  const ran = o.pods.some((p) => p.started);
  const beyond = o.volumes.some((v) => v.ordinal > 0);
  if (!ran && !beyond && o.replicas <= 1) return undefined;
  const extent = Math.max(
    o.replicas,
    ...o.pods.map((p) => p.ordinal + 1),
    ...o.volumes.map((v) => v.ordinal + 1),
  );
  const awaiting = Array.from({ length: extent }, (_, k) => k);
  const record: ClusterRecord = { owner: goal.owner, token: goal.token, members: {}, awaiting };
  return step(writeRecord(slotOf(0), record, "restore", slotOf));
}

function foundCluster(goal: Goal, slotOf: SlotOf): Decision {
  const record: ClusterRecord = { owner: goal.owner, token: goal.token, members: {} };
  return step(writeRecord(slotOf(0), record, "found", slotOf));
}

function writeRecord(
  slot: Step["slot"],
  record: ClusterRecord,
  purpose: Extract<Step, { kind: "write-record" }>["purpose"],
  slotOf: SlotOf,
): Step {
  const joining = record.joining === undefined ? {} : { joining: slotOf(record.joining).name };
  return {
    kind: "write-record",
    slot,
    record,
    purpose,
    members: formatMembers(record, slotOf),
    ...joining,
  };
}

// ---------------------------------------------------------------------------------------------
// etcd answers.

type Live = { clusterId: string; members: LiveMember[] };

function planObserved(o: Observation, live: Live, goal: Goal, slotOf: SlotOf): Decision {
  const identity = refuseOtherData(o, live, slotOf);
  if (identity) return identity;
  const view = viewCluster(o, live.members, live.clusterId, slotOf, goal.size);
  return (
    refuseUnknownMembers(view) ??
    syncRecord(o, view, goal, slotOf) ??
    repairWorkload(o, view, slotOf) ??
    refuseUnhealthy(o, view, goal, slotOf) ??
    planLearner(o, view, goal, slotOf) ??
    planReplacement(o, view, goal, slotOf) ??
    cleanUpVolumes(o, view, goal, slotOf) ??
    settleLabels(o, view, goal, slotOf) ??
    planSize(o, view, goal, slotOf) ?? { kind: "done" }
  );
}

/**
 * The members must serve this cluster's data: every endpoint answers with the live cluster's ID,
 * and that ID is the recorded one, or the one member 0 founds with the recorded token, or (with no
 * record of an ID) a cluster served from volumes of this workload.
 */
function refuseOtherData(o: Observation, live: Live, slotOf: SlotOf): Decision | undefined {
  const strangers = o.statuses.filter((s) => s.ok && s.clusterId !== live.clusterId);
  if (strangers.length > 0) {
    const lines = strangers.map(
      (s) =>
        `${slotOf(s.ordinal).name} answers as member ${s.ok ? s.memberId : "?"} of cluster ${s.ok ? s.clusterId : "?"}`,
    );
    return refuse(
      `${lines.join("; ")}, but the cluster is ${live.clusterId}: their volumes (${volumeNames(
        strangers.map((s) => s.ordinal),
        slotOf,
      )}) hold another cluster's data. Nothing was changed; stop those pods and find out where that data came from.`,
    );
  }
  const record = o.record?.record;
  if (record?.clusterId !== undefined) {
    if (record.clusterId === live.clusterId) return undefined;
    return refuse(
      `the members answer as cluster ${live.clusterId}, but the cluster record (${o.record?.location}) says ` +
        `${describeRecord(record, slotOf)}: the volumes hold another cluster's data. Nothing was changed; ` +
        "find out where that data came from before anything else.",
    );
  }
  if (record && foundedIdentity(slotOf(0).peerURL, record.token).clusterId === live.clusterId)
    return undefined;
  const ordinals = live.members.flatMap((m) =>
    o.statuses.filter((s) => s.ok && s.memberId === m.id).map((s) => s.ordinal),
  );
  const earlier = ordinals.filter((k) => {
    const volume = volumeAt(o, k);
    return volume !== undefined && predatesWorkload(o, volume);
  });
  if (earlier.length === 0) return undefined;
  return refuse(
    `members answer as cluster ${live.clusterId} from volumes older than the workload (${volumeNames(earlier, slotOf)}): ` +
      "they serve an earlier cluster's data that this program did not found, so nothing was changed. " +
      "Stop those pods; to start an empty cluster, save what you need from the volumes, delete them and rerun; " +
      'to bring that cluster back, restore it from a snapshot (docs/operations.md, "Restoring from a snapshot").',
  );
}

function describeForeign(m: LiveMember): string {
  return `${m.name || "(unstarted)"} (id ${m.id}, peer URL ${m.peerURLs.join(" ") || "(none)"})`;
}

/** The lowest ordinal that has no voter: where the next member goes. */
function nextOrdinal(view: ClusterView): number {
  let k = 0;
  while (view.voters.some((v) => v.slot.ordinal === k)) k++;
  return k;
}

/** Members the provider cannot account for: it never guesses what they are for. */
function refuseUnknownMembers(view: ClusterView): Decision | undefined {
  if (view.foreign.length > 0)
    return refuse(
      `members whose peer URL matches no member slot of this cluster: ${view.foreign.map(describeForeign).join(", ")}. ` +
        "Nothing was changed; remove them (etcdctl member remove <id>) or fix the cluster identity, then rerun.",
    );
  const next = nextOrdinal(view);
  const strange = view.learners.find((l) => l.slot.ordinal !== next) ?? view.learners[1];
  if (strange)
    return refuse(
      `an unfinished learner this provider did not create: ${describeMember(strange)} at ${strange.member.peerURLs.join(" ")}; ` +
        `the next member slot is ordinal ${next}. Nothing was changed; promote or remove it (etcdctl member remove ${strange.member.id}), then rerun.`,
    );
  return undefined;
}

/**
 * The record follows the live cluster, and is written before anything that may start a pod: a
 * pod reads its join settings only at start. This also writes a record that went missing.
 */
function syncRecord(
  o: Observation,
  view: ClusterView,
  goal: Goal,
  slotOf: SlotOf,
): Decision | undefined {
  const reading = o.record;
  const members: Record<number, string> = {};
  for (const m of view.members) members[m.slot.ordinal] = m.member.id;
  const learner = view.learners[0];
  const wanted: ClusterRecord = {
    owner: goal.owner,
    token: reading?.record?.token ?? goal.token,
    clusterId: view.clusterId,
    members,
    ...(learner ? { joining: learner.slot.ordinal } : {}),
  };
  const current = reading?.record;
  if (
    reading &&
    !reading.doomed &&
    current &&
    sameRecord(current, wanted) &&
    sameJoinSettings(reading.join, joinSettings(wanted, slotOf))
  )
    return undefined;
  const purpose = !reading || reading.doomed ? "restore" : "record";
  return step(writeRecord(learner?.slot ?? slotOf(0), wanted, purpose, slotOf));
}

/** One past the highest ordinal that holds a member. */
const extentOf = (view: ClusterView): number =>
  view.members.length === 0 ? 0 : Math.max(...view.members.map((m) => m.slot.ordinal)) + 1;

/**
 * Brings the replica count in line with the members: pods above every member are stopped (a
 * StatefulSet scaled around the provider, a removed member), stopped pods of members started
 * again. Neither can cost quorum: a pod stopped here holds no member, and a pod started here
 * starts on its own data or, on an empty volume, is refused by etcd (record.ts).
 */
function repairWorkload(o: Observation, view: ClusterView, slotOf: SlotOf): Decision | undefined {
  const extent = extentOf(view);
  if (o.replicas > extent)
    return step({ kind: "scale", slot: slotOf(extent), replicas: extent, from: o.replicas });
  const above = o.pods.filter((p) => p.ordinal >= extent).sort((a, b) => b.ordinal - a.ordinal);
  if (above.length > 0)
    return step({ kind: "wait", slot: slotOf(above[0].ordinal), until: "pod-gone" });
  if (o.replicas < extent)
    return step({ kind: "scale", slot: slotOf(o.replicas), replicas: extent, from: o.replicas });
  return undefined;
}

/** A started voter that exited because its volume holds no data (finding F4 of issue 9: it would start empty under its old ID). */
function lostItsData(o: Observation, v: SlotMember): boolean {
  return v.member.name !== "" && !answer(v) && exitedOnEmptyVolume(podAt(o, v.slot.ordinal));
}

/** Voters the plan removes and adds again on an empty volume: asked for, or their data is gone. */
const replacementTargets = (o: Observation, view: ClusterView, goal: Goal): SlotMember[] =>
  view.voters.filter((v) => goal.replace.includes(v.member.id) || lostItsData(o, v));

/** Voters this run removes: those being replaced, and those above the wanted size. */
const leaving = (o: Observation, view: ClusterView, goal: Goal): Set<SlotMember> =>
  new Set([
    ...replacementTargets(o, view, goal),
    ...view.voters.filter((v) => v.slot.ordinal >= goal.size),
  ]);

/**
 * Invariant 6: every voter started and answering, a leader, no alarms; else name who is not. Two
 * exceptions, both members the plan is about to remove: a voter the size decrease removes, and one
 * being replaced; whether quorum allows that is checked where the removal is planned.
 */
function refuseUnhealthy(
  o: Observation,
  view: ClusterView,
  goal: Goal,
  slotOf: SlotOf,
): Decision | undefined {
  const sick = view.voters.filter((v) => voterProblem(v) !== undefined);
  const only = view.voters.length === 1 ? view.voters[0].slot : undefined;
  // A lone member elects itself within about a second of its start.
  if (only && (sick.length > 0 || !view.leader) && podAt(o, only.ordinal)?.restarts === 0)
    return step({ kind: "wait", slot: slotOf(only.ordinal), until: "answering" });
  // Alarms first: etcd also reports them as Status errors of every member, less readably.
  if (o.alarms.length > 0)
    return refuse(
      alarmRefusal(
        o.alarms,
        view.members.map((m) => ({ id: m.member.id, slot: m.slot })),
      ),
    );
  const removable = leaving(o, view, goal);
  const blocking = sick.filter((v) => !removable.has(v));
  // Waiting changes nothing, so it is as safe as refusing; it spares a rerun when the
  // StatefulSet replaces pods while the provider works (a template change with a size change).
  if (blocking.length > 0 && blocking.every((v) => beingReplaced(o, v)))
    return step({ kind: "wait", slot: blocking[0].slot, until: "back" });
  if (blocking.length > 0) {
    const lines = blocking.map((v) => {
      const pod = podAt(o, v.slot.ordinal);
      return `${describeMember(v)} ${voterProblem(v)} [${describePod(pod, v.slot.name)}]`;
    });
    return refuse(
      `the cluster is not healthy, so nothing was changed: ${lines.join("; ")}. ` +
        "Bring these members back (their pods must run and answer), then rerun; a member that cannot come back " +
        'is replaced with `replaceMembers` (docs/operations.md, "Replacing a member").',
    );
  }
  // An election ends within seconds: worth looking again before refusing.
  if (!view.leader)
    return refuse(
      `the cluster has no leader that its voters agree on (${view.voters.map((v) => `${v.slot.name} sees ${answer(v)?.leader ?? "none"}`).join(", ")}); nothing was changed.`,
      true,
    );
  return undefined;
}

/**
 * A started voter that does not answer because its pod is being replaced rather than failing: the
 * pod is gone (the StatefulSet recreates it), terminating, or new and not yet answering, with no
 * restart or exit recorded. A pod that exited, restarts or cannot be scheduled is a failure.
 */
function beingReplaced(o: Observation, v: SlotMember): boolean {
  if (v.member.name === "" || !v.status || v.status.ok) return false;
  const pod = podAt(o, v.slot.ordinal);
  if (!pod || pod.phase === "terminating") return true;
  return pod.restarts === 0 && pod.lastTermination === undefined;
}

/** The ordinals below the highest member that hold no member: members removed to be replaced. */
function holes(view: ClusterView): number[] {
  const extent = extentOf(view);
  const taken = new Set(view.members.map((m) => m.slot.ordinal));
  return Array.from({ length: extent }, (_, k) => k).filter((k) => !taken.has(k));
}

/**
 * The pod may hold join settings older than the record's last write (a pod reads them only when
 * its container starts). Store times have whole seconds: a pod of the record's second counts as
 * earlier only if its container has exited since, as one whose settings do not let it join does.
 */
function startedBefore(pod: PodState, writtenAt: number | undefined): boolean {
  if (pod.createdAt === undefined || writtenAt === undefined) return false;
  if (pod.createdAt < writtenAt) return true;
  // Its container exited: a pod still being scheduled or created has not read anything yet.
  const exited = pod.restarts > 0 || (pod.started && pod.phase !== "running");
  return pod.createdAt === writtenAt && exited;
}

/**
 * The learner at the next slot is ours: finish its join, or remove it if it is no longer wanted or
 * lost what it had received. Its pod may start on an empty volume: the record names it as joining.
 */
function planLearner(
  o: Observation,
  view: ClusterView,
  goal: Goal,
  slotOf: SlotOf,
): Decision | undefined {
  const learner: SlotMember | undefined = view.learners[0];
  if (!learner) return undefined;
  const { slot, member } = learner;
  const fillsHole = view.voters.some((v) => v.slot.ordinal > slot.ordinal);
  const removeIt = step({ kind: "remove-member", slot, memberId: member.id, why: "learner" });
  if (!fillsHole && goal.size <= view.voters.length) return removeIt;
  const pod = podAt(o, slot.ordinal);
  const writtenAt = o.record?.writtenAt;
  if (member.name === "") {
    const before = pod !== undefined && startedBefore(pod, writtenAt);
    if (pod && before && pod.phase !== "terminating") return step({ kind: "restart-pod", slot });
    if (pod && pod.restarts >= FAILING_RESTARTS && !before)
      return refuse(
        `the learner ${describeMember(learner)} does not start: ${describePod(pod, slotOf(slot.ordinal).name)}. ` +
          "Nothing else was changed; fix what keeps its pod from starting, then rerun.",
      );
    return step({ kind: "wait", slot, until: "caught-up" });
  }
  if (!answer(learner) && pod && pod.restarts >= FAILING_RESTARTS) return removeIt;
  if (!isCaughtUp(learner, view.leader)) return step({ kind: "wait", slot, until: "caught-up" });
  return step({ kind: "promote", slot, memberId: member.id });
}

/**
 * Whether removing `target` keeps the cluster able to decide: the change itself needs a quorum of
 * the voters now, and the voters left need a quorum of their own. A refusal says which is missing.
 */
function quorumProblem(view: ClusterView, target: SlotMember): string | undefined {
  const voters = view.voters.length;
  if (voters === 1)
    return `${target.slot.name} is the only voter; a cluster cannot remove its last member`;
  const healthy = view.voters.filter((v) => voterProblem(v) === undefined);
  const left = healthy.filter((v) => v !== target).length;
  if (healthy.length < quorum(voters))
    return `only ${healthy.length} of ${voters} voters answer, fewer than the ${quorum(voters)} any membership change needs`;
  if (left < quorum(voters - 1))
    return `removing it would leave ${left} answering voter(s) of ${voters - 1}, fewer than the ${quorum(voters - 1)} the cluster needs to keep working`;
  return undefined;
}

/**
 * Removes a voter: leadership moved away first, then its voter label (so the PodDisruptionBudget
 * never counts a pod that is no longer a voter), then the member.
 */
function removeVoter(
  o: Observation,
  view: ClusterView,
  target: SlotMember,
  why: "size" | "replace",
): Decision {
  const problem = quorumProblem(view, target);
  if (problem)
    return refuse(
      `cannot remove ${describeMember(target)}: ${problem}. Nothing was changed; bring the other members back first.`,
    );
  if (view.leader === target) {
    const candidates = view.voters.filter((v) => v !== target && voterProblem(v) === undefined);
    const next = successor(candidates);
    return step({
      kind: "move-leader",
      slot: target.slot,
      target: next.slot,
      targetId: next.member.id,
    });
  }
  if (podAt(o, target.slot.ordinal)?.voterLabel)
    return step({ kind: "label", slot: target.slot, voter: false });
  return step({ kind: "remove-member", slot: target.slot, memberId: target.member.id, why });
}

/** Members asked to be replaced, and members whose volume lost its data, go first: highest first. */
function planReplacement(
  o: Observation,
  view: ClusterView,
  goal: Goal,
  _slotOf: SlotOf,
): Decision | undefined {
  const targets = replacementTargets(o, view, goal);
  if (targets.length === 0) return undefined;
  return removeVoter(o, view, targets[targets.length - 1], "replace");
}

/** Volumes above every member, once their pods are gone: deleted now, or kept under Retain. */
function cleanUpVolumes(
  o: Observation,
  view: ClusterView,
  goal: Goal,
  slotOf: SlotOf,
): Decision | undefined {
  if (goal.volumePolicy !== "Delete") return undefined;
  const extent = extentOf(view);
  const leftover = o.volumes
    .filter((v) => v.ordinal >= extent)
    .sort((a, b) => b.ordinal - a.ordinal);
  if (leftover.length === 0) return undefined;
  return step({ kind: "delete-volume", slot: slotOf(leftover[0].ordinal), reason: "removed" });
}

/**
 * The voter label marks exactly the pods of healthy voters that stay (see the PodDisruptionBudget):
 * a voter on its way out keeps it off, so its removal never waits on a label.
 */
function settleLabels(
  o: Observation,
  view: ClusterView,
  goal: Goal,
  slotOf: SlotOf,
): Decision | undefined {
  const removed = leaving(o, view, goal);
  const unlabelled = view.voters.find((v) => {
    const pod = podAt(o, v.slot.ordinal);
    const healthy = voterProblem(v) === undefined && !removed.has(v);
    return pod && !pod.voterLabel && pod.phase !== "terminating" && healthy;
  });
  if (unlabelled) return step({ kind: "label", slot: unlabelled.slot, voter: true });
  const wrong = o.pods.find(
    (p) => p.voterLabel && !view.voters.some((v) => v.slot.ordinal === p.ordinal),
  );
  if (wrong) return step({ kind: "label", slot: slotOf(wrong.ordinal), voter: false });
  return undefined;
}

/**
 * A former member's volume may hold data only if it existed before the record dropped that member;
 * one created since (the StatefulSet's new claim after a replacement) is empty.
 */
function isFresh(o: Observation, volume: VolumeState): boolean {
  const writtenAt = o.record?.writtenAt;
  return volume.createdAt !== undefined && writtenAt !== undefined && volume.createdAt >= writtenAt;
}

/** Refill a hole left by a replacement, else add or remove one member at the top. */
function planSize(
  o: Observation,
  view: ClusterView,
  goal: Goal,
  slotOf: SlotOf,
): Decision | undefined {
  const [hole] = holes(view);
  if (hole !== undefined) {
    const slot = slotOf(hole);
    const volume = volumeAt(o, hole);
    if (volume && !isFresh(o, volume) && !exitedOnEmptyVolume(podAt(o, hole)))
      return step({ kind: "replace-volume", slot });
    return step({ kind: "add-learner", slot });
  }
  const voters = view.voters.length;
  if (goal.size > voters) {
    const slot = slotOf(voters);
    if (volumeAt(o, voters)) return step({ kind: "delete-volume", slot, reason: "stale" });
    return step({ kind: "add-learner", slot });
  }
  if (goal.size < voters) return removeVoter(o, view, view.voters[voters - 1], "size");
  return undefined;
}

/** The remaining voter with the most applied entries (ties: the lowest ordinal) takes over. */
function successor(candidates: SlotMember[]): SlotMember {
  const applied = (m: SlotMember) => answer(m)?.raftAppliedIndex ?? 0;
  return candidates.reduce((best, m) => (applied(m) > applied(best) ? m : best));
}
