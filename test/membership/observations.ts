/** Builders of hand-made observations for the pure plan tests. */
import type {
  Goal,
  LiveMember,
  Observation,
  SlotOf,
  StatusAnswer,
  StatusReading,
} from "../../providers/membership/observation";
import {
  type ClusterRecord,
  type RecordReading,
  joinSettings,
} from "../../providers/membership/record";
import type { PodState, VolumeState } from "../../providers/membership/types";

export const slotOf: SlotOf = (k) => ({
  ordinal: k,
  name: `etcd-${k}`,
  peerURL: `http://etcd-${k}.etcd-peer.db.svc.cluster.local:2380`,
});

export const idOf = (k: number): string => `a${k}00000000000${k}`;

export const CLUSTER_ID = "c1c1c1c1c1c1c1c1";
export const OWNER = "etcd-k8s/prod/etcd";
export const LOCATION = "ConfigMap db/etcd-join";

/** Store-clock times (ms): the workload, then its volumes and pods, then the record's last write. */
export const T = { workload: 1_000_000, volume: 1_001_000, pod: 1_002_000, record: 1_003_000 };

export const goal = (size: number, extra: Partial<Goal> = {}): Goal => ({
  size,
  volumePolicy: "Delete",
  owner: OWNER,
  replace: [],
  token: "etcd-fresh-token",
  ...extra,
});

export function runningPod(k: number, extra: Partial<PodState> = {}): PodState {
  return {
    ordinal: k,
    name: `etcd-${k}`,
    phase: "running",
    ready: true,
    restarts: 0,
    started: true,
    createdAt: T.pod,
    voterLabel: true,
    ...extra,
  };
}

/** A pod waiting for its join settings: its container never ran. */
export function waitingPod(k: number, extra: Partial<PodState> = {}): PodState {
  return runningPod(k, {
    phase: "waiting",
    ready: false,
    started: false,
    voterLabel: false,
    lastTermination: 'CreateContainerConfigError: configmap "etcd-join" not found',
    ...extra,
  });
}

export const volume = (k: number, createdAt = T.volume): VolumeState => ({ ordinal: k, createdAt });

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
    clusterId: CLUSTER_ID,
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

/** The record as a store returns it, written at T.record unless told otherwise. */
export function reading(record: ClusterRecord, extra: Partial<RecordReading> = {}): RecordReading {
  return {
    location: LOCATION,
    record,
    join: joinSettings(record, slotOf),
    writtenAt: T.record,
    doomed: false,
    ...extra,
  };
}

export function recordOf(ordinals: number[], extra: Partial<ClusterRecord> = {}): ClusterRecord {
  const members: Record<number, string> = {};
  for (const k of ordinals) members[k] = idOf(k);
  return { owner: OWNER, token: "etcd-founding-token", clusterId: CLUSTER_ID, members, ...extra };
}

export interface LearnerSpec {
  ordinal: number;
  started: boolean;
  appliedIndex?: number;
}

/**
 * A cluster of `voters` healthy voters at ordinals 0..voters-1 with labelled pods, volumes,
 * replicas and a record to match, optionally a learner (recorded as joining); `extra` overrides
 * any field afterwards.
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
  const ordinals = Array.from({ length: voters }, (_, k) => k);
  if (learner) {
    const k = learner.ordinal;
    ordinals.push(k);
    members.push(memberAt(k, { isLearner: true, name: learner.started ? `etcd-${k}` : "" }));
    if (learner.started) {
      replicas = k + 1;
      statuses.push(
        statusAt(k, leader, { isLearner: true, raftAppliedIndex: learner.appliedIndex ?? 100 }),
      );
    }
  }
  const podOrdinals = Array.from({ length: replicas }, (_, k) => k);
  const record = recordOf(ordinals, learner ? { joining: learner.ordinal } : {});
  return {
    cluster: { reachable: true, clusterId: CLUSTER_ID, members },
    statuses,
    alarms: [],
    replicas,
    pods: podOrdinals.map((k) =>
      runningPod(k, learner && k === learner.ordinal ? { voterLabel: false } : {}),
    ),
    volumes: podOrdinals.map((k) => volume(k)),
    record: reading(record),
    workloadCreatedAt: T.workload,
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
  workloadCreatedAt: T.workload,
  ...extra,
});
