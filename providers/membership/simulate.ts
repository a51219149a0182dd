/**
 * Predicts the steps still ahead by applying each planned step's expected effect to a copy of the
 * observation, so progress lines can say "step 4/10" and preview can say what a change does. Only
 * an estimate for display: the reconciler always plans from live state, never from this prediction.
 */
import { plan } from "./plan";
import type { Goal, LiveMember, Observation, SlotOf, StatusAnswer } from "./observation";
import { joinSettings } from "./record";
import type { Step } from "./steps";
import type { PodState } from "./types";

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

const clusterIdOf = (o: Observation): string =>
  o.cluster.reachable ? o.cluster.clusterId : "predicted";

function withMembers(o: Observation, list: LiveMember[]): Observation {
  return { ...o, cluster: { reachable: true, clusterId: clusterIdOf(o), members: list } };
}

function leaderOf(o: Observation): StatusAnswer | undefined {
  return o.statuses.find((s): s is StatusAnswer => s.ok && s.leader !== undefined);
}

/** A member that answers and has applied everything the leader has. */
function answering(
  clusterId: string,
  ordinal: number,
  memberId: string,
  leader: string,
  learner: boolean,
  index: number,
) {
  const s: StatusAnswer = {
    ordinal,
    ok: true,
    clusterId,
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

/** A moment after everything the observation has seen: what a step creates now is newer. */
function later(o: Observation): number {
  const times = [
    o.workloadCreatedAt ?? 0,
    o.record?.writtenAt ?? 0,
    ...o.pods.map((p) => p.createdAt ?? 0),
    ...o.volumes.map((v) => v.createdAt ?? 0),
  ];
  return Math.max(...times) + 1_000;
}

function newPod(ordinal: number, slotOf: SlotOf, createdAt: number): PodState {
  return {
    ordinal,
    name: slotOf(ordinal).name,
    phase: "running",
    ready: false,
    restarts: 0,
    started: true,
    createdAt,
    voterLabel: false,
  };
}

/** What the step is expected to leave behind, as the next observation would show it. */
export function applyExpected(o: Observation, s: Step, slotOf: SlotOf): Observation {
  const k = s.slot.ordinal;
  switch (s.kind) {
    case "write-record":
      return afterRecordWritten(o, s, slotOf);
    case "scale":
      return afterScale(o, s, slotOf);
    case "delete-volume":
      return { ...o, volumes: o.volumes.filter((v) => v.ordinal !== k) };
    case "replace-volume":
      return afterVolumeReplaced(o, k, slotOf);
    case "restart-pod":
      return {
        ...o,
        pods: [...o.pods.filter((p) => p.ordinal !== k), newPod(k, slotOf, later(o))],
      };
    case "label":
      return {
        ...o,
        pods: o.pods.map((p) => (p.ordinal === k ? { ...p, voterLabel: s.voter } : p)),
      };
    case "add-learner":
    case "promote":
    case "move-leader":
    case "remove-member":
      return afterMembershipChange(o, s);
    case "wait":
      return afterWait(o, s);
  }
}

/** The ID a member added by the prediction gets: any ID no live member has would do. */
const predictedId = (ordinal: number): string => `predicted-${ordinal}`;

function afterRecordWritten(
  o: Observation,
  s: Extract<Step, { kind: "write-record" }>,
  slotOf: SlotOf,
): Observation {
  const join = joinSettings(s.record, slotOf);
  const location = o.record?.location ?? "the cluster record";
  const record = { location, record: s.record, join, writtenAt: later(o), doomed: false };
  return startWaitingMembers({ ...o, record }, slotOf);
}

/**
 * A StatefulSet keeps a stopped pod's claim, so a pod started again finds its old volume; only an
 * ordinal without one gets a new, empty one.
 */
function afterScale(
  o: Observation,
  s: Extract<Step, { kind: "scale" }>,
  slotOf: SlotOf,
): Observation {
  const now = later(o);
  const pods = o.pods.filter((p) => p.ordinal < s.replicas);
  for (let i = o.replicas; i < s.replicas; i++) pods.push(newPod(i, slotOf, now));
  const volumes = [...o.volumes];
  for (const p of pods)
    if (!volumes.some((v) => v.ordinal === p.ordinal))
      volumes.push({ ordinal: p.ordinal, createdAt: now });
  return { ...o, replicas: s.replicas, pods, volumes };
}

function afterVolumeReplaced(o: Observation, k: number, slotOf: SlotOf): Observation {
  const now = later(o);
  return {
    ...o,
    pods: [...o.pods.filter((p) => p.ordinal !== k), newPod(k, slotOf, now)],
    volumes: [...o.volumes.filter((v) => v.ordinal !== k), { ordinal: k, createdAt: now }],
    statuses: o.statuses.filter((st) => st.ordinal !== k),
  };
}

type MembershipStep = Extract<
  Step,
  { kind: "add-learner" | "promote" | "move-leader" | "remove-member" }
>;

function afterMembershipChange(o: Observation, s: MembershipStep): Observation {
  switch (s.kind) {
    case "add-learner": {
      const learner: LiveMember = {
        id: predictedId(s.slot.ordinal),
        name: "",
        peerURLs: [s.slot.peerURL],
        clientURLs: [],
        isLearner: true,
      };
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
        statuses: o.statuses.filter((st) => st.ordinal !== s.slot.ordinal),
      };
  }
}

/**
 * Members whose pods waited for their join settings (a lost record) start once the record holds
 * them again, and answer: what comes after them (their labels) is part of the plan ahead.
 */
function startWaitingMembers(o: Observation, slotOf: SlotOf): Observation {
  const leader = leaderOf(o);
  if (!leader) return o;
  const waiting = o.pods.flatMap((pod) => {
    const member = members(o).find((m) => m.peerURLs[0] === slotOf(pod.ordinal).peerURL);
    const answers = o.statuses.some((st) => st.ordinal === pod.ordinal && st.ok);
    return !pod.started && member && !answers ? [{ pod, member }] : [];
  });
  if (waiting.length === 0) return o;
  const started = new Set(waiting.map((w) => w.pod.ordinal));
  return {
    ...o,
    pods: o.pods.map((p) =>
      started.has(p.ordinal) ? { ...p, phase: "running", started: true } : p,
    ),
    statuses: [
      ...o.statuses.filter((st) => !started.has(st.ordinal)),
      ...waiting.map(({ pod, member }) =>
        answering(
          clusterIdOf(o),
          pod.ordinal,
          member.id,
          leader.leader!,
          member.isLearner,
          leader.raftIndex,
        ),
      ),
    ],
  };
}

function afterWait(o: Observation, s: Extract<Step, { kind: "wait" }>): Observation {
  const k = s.slot.ordinal;
  if (s.until === "pod-gone") return { ...o, pods: o.pods.filter((p) => p.ordinal < o.replicas) };
  const existing = members(o).find((m) => m.peerURLs[0] === s.slot.peerURL);
  const memberId = existing?.id ?? predictedId(k);
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
    answering(clusterIdOf(o), k, memberId, leader, started.isLearner, known?.raftIndex ?? 0),
  ];
  return { ...withMembers(o, list), statuses };
}
