/**
 * What the reconciler reads from the live system before every step. Plain data, so the plan that
 * consumes it is a pure function and unit tests can build observations by hand.
 */
import type { MemberSlot } from "../../model/naming";
import type { EtcdAlarm, EtcdMember, EtcdStatus } from "../etcd/types";
import type { RecordReading } from "./record";
import type { VolumePolicy } from "../../model/config/rules";
import type { PodState, VolumeState } from "./types";

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
  volumes: VolumeState[];
  /** The cluster record (see record.ts); undefined when the store holds none. */
  record?: RecordReading;
  /** When the workload was created (store clock, ms): older volumes belong to an earlier cluster. */
  workloadCreatedAt?: number;
}

/** What the caller wants. */
export interface Goal {
  size: number;
  volumePolicy: VolumePolicy;
  /** Who manages the cluster: recorded at its founding, compared ever after. */
  owner: string;
  /** Member IDs (hex) to replace: removed, their volumes discarded, re-added empty. */
  replace: string[];
  /** A fresh random token, used only if this run founds the cluster. */
  token: string;
}

export type SlotOf = (ordinal: number) => MemberSlot;
