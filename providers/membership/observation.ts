/**
 * What the reconciler reads from the live system before every step. Plain data, so the plan that
 * consumes it is a pure function and unit tests can build observations by hand.
 */
import type { EtcdAlarm, EtcdMember, EtcdStatus } from "../etcd/types";
import type { JoinConfig, MemberSlot, PodState, VolumePolicy } from "./types";

export type LiveMember = EtcdMember;
export type Alarm = EtcdAlarm;

/** The Status answer at the client endpoint of one ordinal. */
export interface StatusAnswer extends EtcdStatus {
  ordinal: number;
  ok: true;
}

export interface StatusFailure {
  ordinal: number;
  ok: false;
  error: string;
}

export type StatusReading = StatusAnswer | StatusFailure;

export type ClusterReading =
  | { reachable: true; clusterId: string; members: LiveMember[] }
  /** No member answered the member list: why, in words. */
  | { reachable: false; reason: string };

export interface Observation {
  cluster: ClusterReading;
  /** One reading per ordinal below the replica count. */
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
