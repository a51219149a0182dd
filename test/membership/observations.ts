/** Builders of hand-made observations for the pure plan tests. */
import type {
  Goal,
  LiveMember,
  Observation,
  SlotOf,
  StatusAnswer,
  StatusReading,
} from "../../providers/membership/observation";
import { initialCluster } from "../../providers/membership/steps";
import type { PodState } from "../../providers/membership/types";

export const slotOf: SlotOf = (k) => ({
  ordinal: k,
  name: `etcd-${k}`,
  peerURL: `http://etcd-${k}.etcd-peer.db.svc.cluster.local:2380`,
});

export const idOf = (k: number): string => `a${k}00000000000${k}`;

export const goal = (size: number, extra: Partial<Goal> = {}): Goal => ({
  size,
  volumePolicy: "Delete",
  bootstrap: false,
  ...extra,
});

export function runningPod(k: number, extra: Partial<PodState> = {}): PodState {
  return { ordinal: k, name: `etcd-${k}`, phase: "running", ready: true, restarts: 0, ...extra };
}

export function memberAt(k: number, extra: Partial<LiveMember> = {}): LiveMember {
  return {
    id: idOf(k),
    name: `etcd-${k}`,
    peerURLs: [slotOf(k).peerURL],
    clientURLs: [`http://etcd-${k}:2379`],
    isLearner: false,
    ...extra,
  };
}

export function statusAt(k: number, leader: number, extra: Partial<StatusAnswer> = {}) {
  const s: StatusAnswer = {
    ordinal: k,
    ok: true,
    memberId: idOf(k),
    leader: idOf(leader),
    raftIndex: 100,
    raftAppliedIndex: 100,
    isLearner: false,
    dbSize: 20480,
    errors: [],
    ...extra,
  };
  return s;
}

export interface LearnerSpec {
  ordinal: number;
  started: boolean;
  appliedIndex?: number;
}

/**
 * A cluster of `voters` healthy voters at ordinals 0..voters-1 with pods, volumes and replicas to
 * match, optionally a learner; `extra` overrides any field afterwards.
 */
export function cluster(
  voters: number,
  opts: { leader?: number; learner?: LearnerSpec } = {},
  extra: Partial<Observation> = {},
): Observation {
  const leader = opts.leader ?? 0;
  const members: LiveMember[] = [];
  const statuses: StatusReading[] = [];
  for (let k = 0; k < voters; k++) {
    members.push(memberAt(k));
    statuses.push(statusAt(k, leader));
  }
  let replicas = voters;
  const learner = opts.learner;
  if (learner) {
    const k = learner.ordinal;
    members.push(memberAt(k, { isLearner: true, name: learner.started ? `etcd-${k}` : "" }));
    if (learner.started) {
      replicas = k + 1;
      statuses.push(
        statusAt(k, leader, { isLearner: true, raftAppliedIndex: learner.appliedIndex ?? 100 }),
      );
    }
  }
  const ordinals = Array.from({ length: replicas }, (_, k) => k);
  return {
    cluster: { reachable: true, clusterId: "c1c1c1c1c1c1c1c1", members },
    statuses,
    alarms: [],
    replicas,
    pods: ordinals.map((k) => runningPod(k)),
    volumes: ordinals,
    joinConfig: {
      state: "existing",
      initialCluster: initialCluster(ordinals.map(slotOf)),
    },
    ...extra,
  };
}

export const unreachable = (extra: Partial<Observation> = {}): Observation => ({
  cluster: { reachable: false, reason: "no client endpoint answered" },
  statuses: [],
  alarms: [],
  replicas: 0,
  pods: [],
  volumes: [],
  ...extra,
});
