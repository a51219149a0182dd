/**
 * Predicts the steps still ahead by applying each planned step's expected effect to a copy of the
 * observation, so progress lines can say "step 4/10". Only an estimate for display: the reconciler
 * always plans from live state, never from this prediction.
 */
import { plan } from "./plan";
import type { Goal, LiveMember, Observation, SlotOf, StatusAnswer } from "./observation";
import type { Step } from "./steps";

/** Enough for the largest legal change (9 members up or down, ~6 steps each) with room to spare. */
const MAX_PREDICTED = 200;

export function predictSteps(start: Observation, goal: Goal, slotOf: SlotOf): Step[] {
  const steps: Step[] = [];
  let o = structuredClone(start);
  while (steps.length < MAX_PREDICTED) {
    const decision = plan(o, goal, slotOf);
    if (decision.kind !== "step") break;
    steps.push(decision.step);
    o = applyExpected(o, decision.step, slotOf);
  }
  return steps;
}

const members = (o: Observation): LiveMember[] => (o.cluster.reachable ? o.cluster.members : []);

function withMembers(o: Observation, list: LiveMember[]): Observation {
  const clusterId = o.cluster.reachable ? o.cluster.clusterId : "predicted";
  return { ...o, cluster: { reachable: true, clusterId, members: list } };
}

function leaderOf(o: Observation): StatusAnswer | undefined {
  return o.statuses.find((s): s is StatusAnswer => s.ok && s.leader !== undefined);
}

/** A member that answers and has applied everything the leader has. */
function answering(
  ordinal: number,
  memberId: string,
  leader: string,
  learner: boolean,
  index: number,
) {
  const s: StatusAnswer = {
    ordinal,
    ok: true,
    memberId,
    leader,
    raftIndex: index,
    raftAppliedIndex: index,
    isLearner: learner,
    dbSize: 0,
    errors: [],
  };
  return s;
}

function applyExpected(o: Observation, s: Step, slotOf: SlotOf): Observation {
  const k = s.slot.ordinal;
  const id = `predicted-${k}`;
  switch (s.kind) {
    case "write-join-config":
      return { ...o, joinConfig: s.config };
    case "scale": {
      const pods = o.pods.filter((p) => p.ordinal < s.replicas);
      for (let i = o.replicas; i < s.replicas; i++)
        pods.push({
          ordinal: i,
          name: slotOf(i).name,
          phase: "running",
          ready: false,
          restarts: 0,
        });
      const volumes = [...new Set([...o.volumes, ...pods.map((p) => p.ordinal)])];
      return { ...o, replicas: s.replicas, pods, volumes };
    }
    case "delete-volume":
      return { ...o, volumes: o.volumes.filter((v) => v !== k) };
    case "add-learner": {
      const learner = { id, name: "", peerURLs: [s.slot.peerURL], clientURLs: [], isLearner: true };
      return withMembers(o, [...members(o), learner]);
    }
    case "promote":
      return withMembers(
        o,
        members(o).map((m) => (m.id === s.memberId ? { ...m, isLearner: false } : m)),
      );
    case "move-leader":
      return {
        ...o,
        statuses: o.statuses.map((st) => (st.ok ? { ...st, leader: s.targetId } : st)),
      };
    case "remove-member":
      return {
        ...withMembers(
          o,
          members(o).filter((m) => m.id !== s.memberId),
        ),
        statuses: o.statuses.filter((st) => st.ordinal !== k),
      };
    case "wait":
      return applyWait(o, s, id);
  }
}

function applyWait(o: Observation, s: Extract<Step, { kind: "wait" }>, id: string): Observation {
  const k = s.slot.ordinal;
  if (s.until === "pod-gone") return { ...o, pods: o.pods.filter((p) => p.ordinal < o.replicas) };
  const existing = members(o).find((m) => m.peerURLs[0] === s.slot.peerURL);
  const memberId = existing?.id ?? id;
  const known = leaderOf(o);
  const leader = s.until === "answering" ? memberId : (known?.leader ?? memberId);
  const started: LiveMember = {
    id: memberId,
    name: s.slot.name,
    peerURLs: [s.slot.peerURL],
    clientURLs: [],
    isLearner: s.until === "caught-up",
  };
  const list = existing
    ? members(o).map((m) => (m.id === memberId ? started : m))
    : [...members(o), started];
  const statuses = [
    ...o.statuses.filter((st) => st.ordinal !== k),
    answering(k, memberId, leader, started.isLearner, known?.raftIndex ?? 0),
  ];
  return { ...withMembers(o, list), statuses };
}
