/**
 * What the reconciler reads from the live system before every step. Plain data, so the plan that
 * consumes it is a pure function and unit tests can build observations by hand.
 */
import type { JoinConfig, MemberSlot, PodState, VolumePolicy } from "./types";

/** One entry of etcd's member list. IDs are lower-case hex, as etcdctl prints them. */
export interface LiveMember {
  id: string;
  /** Empty until the member has started and published its name (etcd's "unstarted"). */
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

/** The answer of etcd's Maintenance.Status at the client endpoint of one ordinal. */
export interface StatusAnswer {
  ordinal: number;
  ok: true;
  /** The member that answered (hex). */
  memberId: string;
  /** The leader as this member sees it (hex), absent when it knows none. */
  leader?: string;
  raftIndex: number;
  raftAppliedIndex: number;
  isLearner: boolean;
  dbSize: number;
  errors: string[];
}

export interface StatusFailure {
  ordinal: number;
  ok: false;
  error: string;
}

export type StatusReading = StatusAnswer | StatusFailure;

export interface Alarm {
  memberId: string;
  alarm: string;
}

export type ClusterReading =
  | { reachable: true; clusterId: string; members: LiveMember[] }
  /** No member answered the member list: why, in words. */
  | { reachable: false; reason: string };

export interface Observation {
  cluster: ClusterReading;
  /** One reading per ordinal that was asked (those with a pod or below the replica count). */
  statuses: StatusReading[];
  alarms: Alarm[];
  replicas: number;
  pods: PodState[];
  /** Ordinals that own a volume. */
  volumes: number[];
  joinConfig?: JoinConfig;
}

/** What the caller wants, plus whether a first member may be bootstrapped (create only). */
export interface Goal {
  size: number;
  volumePolicy: VolumePolicy;
  bootstrap: boolean;
}

export type SlotOf = (ordinal: number) => MemberSlot;
