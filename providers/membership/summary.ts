/**
 * The live cluster in the shape of the resource's outputs, and in words for error messages.
 */
import { describeMember, describePod, isStarted, viewCluster, voterProblem } from "./clusterView";
import type { Observation, SlotOf } from "./observation";

export interface MemberStatus {
  name: string;
  /** Hex, as etcdctl prints it. */
  id: string;
  peerURL: string;
  role: "voter" | "learner";
  healthy: boolean;
}

/** Output values; null rather than undefined, which Pulumi outputs cannot hold. */
export interface ClusterSummary {
  clusterId: string | null;
  /** Name of the leading member. */
  leader: string | null;
  memberStatus: MemberStatus[];
  /** Voters in the live member list. */
  liveSize: number;
  /**
   * The workload's replica count when last seen. Equal to the size after every change the provider
   * makes; anything else after a refresh means the StatefulSet was scaled around the provider.
   */
  replicas: number;
}

export function summarize(o: Observation, slotOf: SlotOf): ClusterSummary {
  if (!o.cluster.reachable)
    return { clusterId: null, leader: null, memberStatus: [], liveSize: 0, replicas: o.replicas };
  const view = viewCluster(o, o.cluster.members, o.cluster.clusterId, slotOf, o.replicas);
  const matched: MemberStatus[] = view.members.map((m) => ({
    name: m.slot.name,
    id: m.member.id,
    peerURL: m.slot.peerURL,
    role: m.member.isLearner ? "learner" : "voter",
    healthy: m.member.isLearner ? isStarted(m) : voterProblem(m) === undefined,
  }));
  const foreign: MemberStatus[] = view.foreign.map((m) => ({
    name: m.name || "(unstarted)",
    id: m.id,
    peerURL: m.peerURLs.join(" "),
    role: m.isLearner ? "learner" : "voter",
    healthy: false,
  }));
  return {
    clusterId: view.clusterId,
    leader: view.leader?.slot.name ?? null,
    memberStatus: [...matched, ...foreign],
    liveSize: o.cluster.members.filter((m) => !m.isLearner).length,
    replicas: o.replicas,
  };
}

/** One line of what was last seen, for the error of a wait that timed out. */
export function describeObservation(o: Observation, slotOf: SlotOf): string {
  const pods = o.pods.map((p) => describePod(p, slotOf(p.ordinal).name)).join("; ") || "no pods";
  const head = `replicas ${o.replicas}; ${pods}; volumes ${o.volumes.map((v) => v.ordinal).join(", ") || "none"}`;
  if (!o.cluster.reachable) return `${head}; no member answers (${o.cluster.reason})`;
  const view = viewCluster(o, o.cluster.members, o.cluster.clusterId, slotOf, o.replicas);
  const members = view.members.map((m) => {
    const s = m.status;
    const state = !s
      ? "not asked"
      : s.ok
        ? `applied ${s.raftAppliedIndex}/${s.raftIndex}${s.leader === s.memberId ? ", leader" : ""}`
        : `not answering: ${s.error}`;
    return `${describeMember(m)} ${m.member.name ? "started" : "unstarted"}, ${state}`;
  });
  return `${head}; members: ${members.join("; ")}`;
}
