/**
 * Interprets a live member list against the slots the workload defines: which member sits at which
 * ordinal (matched by peer URL only, never by a remembered ID), who leads, who is healthy.
 */
import type { MemberSlot } from "../../model/naming";
import type { LiveMember, Observation, SlotOf, StatusAnswer, StatusReading } from "./observation";
import type { PodState } from "./types";

/** Share of the leader's raft index a learner must have applied; etcd's own promote gate is 90%. */
export const CAUGHT_UP_RATIO = 0.9;

export interface SlotMember {
  slot: MemberSlot;
  member: LiveMember;
  status?: StatusReading;
}

export interface ClusterView {
  clusterId: string;
  /** Members at a slot, by ordinal. */
  members: SlotMember[];
  /** Members whose peer URL matches no slot of this workload. */
  foreign: LiveMember[];
  voters: SlotMember[];
  learners: SlotMember[];
  /** The member the answering voters agree leads, when it is one of ours. */
  leader?: SlotMember;
}

/** Highest ordinal worth matching: anything the workload or the cluster could refer to. */
function slotBound(observation: Observation, members: LiveMember[], wanted: number): number {
  const ordinals = [
    wanted,
    observation.replicas,
    ...observation.pods.map((p) => p.ordinal + 1),
    ...observation.volumes.map((v) => v.ordinal + 1),
  ];
  return Math.max(...ordinals) + members.length;
}

export function viewCluster(
  observation: Observation,
  members: LiveMember[],
  clusterId: string,
  slotOf: SlotOf,
  wanted: number,
): ClusterView {
  const byPeerURL = new Map<string, MemberSlot>();
  for (let k = 0; k < slotBound(observation, members, wanted); k++) {
    const slot = slotOf(k);
    byPeerURL.set(slot.peerURL, slot);
  }
  const matched: SlotMember[] = [];
  const foreign: LiveMember[] = [];
  for (const member of members) {
    const slot = member.peerURLs.length === 1 ? byPeerURL.get(member.peerURLs[0]) : undefined;
    if (!slot) foreign.push(member);
    else
      matched.push({
        slot,
        member,
        status: observation.statuses.find((s) => s.ordinal === slot.ordinal),
      });
  }
  matched.sort((a, b) => a.slot.ordinal - b.slot.ordinal);
  const voters = matched.filter((m) => !m.member.isLearner);
  return {
    clusterId,
    members: matched,
    foreign,
    voters,
    learners: matched.filter((m) => m.member.isLearner),
    leader: agreedLeader(voters),
  };
}

/** The leader most answering voters name; a member that leads says so about itself as well. */
function agreedLeader(voters: SlotMember[]): SlotMember | undefined {
  const votes = new Map<string, number>();
  for (const v of voters) {
    const s = answer(v);
    if (s?.leader) votes.set(s.leader, (votes.get(s.leader) ?? 0) + 1);
  }
  const [top] = [...votes.entries()].sort((a, b) => b[1] - a[1]);
  const leader = top && voters.find((v) => v.member.id === top[0]);
  return leader && answer(leader)?.leader === leader.member.id ? leader : undefined;
}

export function answer(m: SlotMember): StatusAnswer | undefined {
  return m.status?.ok ? m.status : undefined;
}

export function isStarted(m: SlotMember): boolean {
  return m.member.name !== "" && answer(m) !== undefined;
}

/** Why a voter is not healthy, or undefined when it is. */
export function voterProblem(m: SlotMember): string | undefined {
  if (m.member.name === "") return "has not started (etcd lists it without a name)";
  if (!m.status)
    return "its client endpoint was not asked (its ordinal is not below the replica count)";
  if (!m.status.ok) return `does not answer: ${m.status.error}`;
  if (m.status.memberId !== m.member.id)
    return `its endpoint answers as member ${m.status.memberId}, not ${m.member.id}`;
  if (!m.status.leader) return "knows no leader";
  if (m.status.errors.length > 0) return `reports errors: ${m.status.errors.join("; ")}`;
  return undefined;
}

export function isCaughtUp(learner: SlotMember, leader: SlotMember | undefined): boolean {
  const mine = answer(learner);
  const theirs = leader && answer(leader);
  if (!mine || !theirs || learner.member.name === "") return false;
  return mine.raftAppliedIndex >= Math.floor(theirs.raftIndex * CAUGHT_UP_RATIO);
}

export function describeMember(m: SlotMember): string {
  return `${m.slot.name} (id ${m.member.id}, ${m.member.isLearner ? "learner" : "voter"})`;
}

export function describePod(pod: PodState | undefined, name: string): string {
  if (!pod) return `pod ${name}: none`;
  const parts = [`pod ${name}: ${pod.phase}`, pod.ready ? "ready" : "not ready"];
  if (pod.restarts > 0) parts.push(`${pod.restarts} restart(s)`);
  if (pod.lastTermination) parts.push(`last exit: ${pod.lastTermination}`);
  return parts.join(", ");
}
