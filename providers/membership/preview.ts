/**
 * What preview plans from, as pure data: `check` may not reach the cluster, so preview plans the
 * change from the cluster as it is when every member is healthy. A run plans from what it
 * observes, and refuses what is not healthy.
 */
import type { Goal, LiveMember, Observation, SlotOf, StatusAnswer } from "./observation";
import { type ClusterRecord, joinSettings } from "./record";
import type { VolumePolicy } from "../../model/config/rules";
import type { PodState } from "./types";

/** The plan only compares owner, token and IDs with each other: any values that agree will do. */
const OWNER = "preview";
const TOKEN = "preview";
const CLUSTER_ID = "preview";
const memberId = (ordinal: number): string => `member-${ordinal}`;

export const previewGoal = (size: number, volumePolicy: VolumePolicy): Goal => ({
  size,
  volumePolicy,
  owner: OWNER,
  replace: [],
  token: TOKEN,
});

/** Before a create: no workload, no record, no member. */
const nothingDeployed = (): Observation => ({
  cluster: { reachable: false, reason: "nothing is deployed yet" },
  statuses: [],
  alarms: [],
  replicas: 0,
  pods: [],
  volumes: [],
});

/** A create when there is no old size (or it is 0); else a healthy cluster of that size. */
export const clusterBefore = (oldSize: number | undefined, slotOf: SlotOf): Observation =>
  oldSize === undefined || oldSize === 0 ? nothingDeployed() : healthyCluster(oldSize, slotOf);

const voterAt = (k: number, slotOf: SlotOf): LiveMember => ({
  id: memberId(k),
  name: slotOf(k).name,
  peerURLs: [slotOf(k).peerURL],
  clientURLs: [],
  isLearner: false,
});

const caughtUp = (k: number, leader: string): StatusAnswer => ({
  ordinal: k,
  ok: true,
  clusterId: CLUSTER_ID,
  memberId: memberId(k),
  leader,
  raftIndex: 1,
  raftAppliedIndex: 1,
  isLearner: false,
  dbSize: 0,
  errors: [],
});

const labelledPod = (k: number, slotOf: SlotOf): PodState => ({
  ordinal: k,
  name: slotOf(k).name,
  phase: "running",
  ready: true,
  restarts: 0,
  started: true,
  voterLabel: true,
});

/**
 * Members 0..size-1, each a started voter with a labelled pod and a volume, all caught up; the
 * record and the join settings match them. Led by the highest member, which a shrink removes
 * first: who leads is unknown here, and that is the case with the most steps (leadership moves).
 */
function healthyCluster(size: number, slotOf: SlotOf): Observation {
  const ordinals = Array.from({ length: size }, (_, k) => k);
  const record: ClusterRecord = {
    owner: OWNER,
    token: TOKEN,
    clusterId: CLUSTER_ID,
    members: Object.fromEntries(ordinals.map((k) => [k, memberId(k)])),
  };
  const join = joinSettings(record, slotOf);
  return {
    cluster: {
      reachable: true,
      clusterId: CLUSTER_ID,
      members: ordinals.map((k) => voterAt(k, slotOf)),
    },
    statuses: ordinals.map((k) => caughtUp(k, memberId(size - 1))),
    alarms: [],
    replicas: size,
    pods: ordinals.map((k) => labelledPod(k, slotOf)),
    volumes: ordinals.map((k) => ({ ordinal: k })),
    record: { location: "the cluster record", record, join, doomed: false },
  };
}
