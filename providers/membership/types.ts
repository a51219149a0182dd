/**
 * The contracts of the membership provider. The reconciler plans from live state and acts only
 * through these two narrow interfaces, so the same code runs against Kubernetes in production and
 * against local etcd processes in tests.
 */
import type { MemberSlot } from "../../model/naming";
import type { ClientTLS } from "../etcd/security";
import type { ChangeLease } from "./lease";
import type { ClusterRecord, RecordReading } from "./record";

export interface PodState {
  ordinal: number;
  name: string;
  /** `running`: the process/container runs; `waiting`: created but not running; `terminating`: being deleted. */
  phase: "waiting" | "running" | "terminating";
  ready: boolean;
  restarts: number;
  /** Its container ran at least once: etcd may have written to its volume. */
  started: boolean;
  /** Why the container last exited or cannot start, when the runtime tells (e.g. the etcd log's last error). */
  lastTermination?: string;
  /** When the pod was created, in the store's clock (ms): compared with the record's `writtenAt`. */
  createdAt?: number;
  /** Carries the voter label, which the PodDisruptionBudget counts (learners never carry it). */
  voterLabel: boolean;
}

/** A member's volume (a PVC, a data directory). */
export interface VolumeState {
  ordinal: number;
  /** When it was created, in the store's clock (ms). */
  createdAt?: number;
}

/** A client connection target for one member, valid until `close()` (a port-forward, a pod IP, ...). */
export interface Endpoint {
  url: string;
  /**
   * With TLS: the name the member's server certificate is verified against, when the URL's host is
   * not one the certificate names (a port-forward's local address, a pod IP).
   */
  serverName?: string;
  close(): Promise<void>;
}

/** The workload running the members: a StatefulSet with its pods and volumes, or local processes. */
export interface Workload {
  /** One line naming what is managed, for messages (e.g. `StatefulSet etcd/etcd`). */
  describe(): string;
  slot(ordinal: number): MemberSlot;
  /** When the workload (the StatefulSet) was created, in the store's clock (ms). */
  createdAt(): Promise<number | undefined>;
  /** Desired replica count (the StatefulSet's spec.replicas). */
  replicas(): Promise<number>;
  /** Only through `scaleWorkload` (guard.ts), which refuses to stop a recorded voter. */
  scale(replicas: number): Promise<void>;
  pods(): Promise<PodState[]>;
  /** Deletes a pod so that it starts again (with the join settings as they are now). */
  restartPod(ordinal: number): Promise<void>;
  /**
   * Sets or removes the voter label on a pod; a pod that does not exist is left alone. Removing it
   * resolves once the PodDisruptionBudget no longer counts that pod (bounded).
   */
  labelVoter(ordinal: number, voter: boolean): Promise<void>;
  /** Volumes that exist, including one being deleted (its data exists until it is gone). */
  volumes(): Promise<VolumeState[]>;
  /** Deletes the volume of a member whose pod is gone; resolves once the volume no longer exists. */
  deleteVolume(ordinal: number): Promise<void>;
  /**
   * Deletes the volume of an ordinal whose pod runs (one below others, which scaling cannot stop):
   * its pod is stopped, the volume deleted, and the pod starts again on a new, empty volume.
   */
  replaceVolume(ordinal: number): Promise<void>;
  readRecord(): Promise<RecordReading | undefined>;
  /** Writes the record and the join settings derived from it, in one write. */
  writeRecord(record: ClusterRecord): Promise<void>;
  /** Removes what only the provider owns (the record); volumes are left alone. */
  removeRecord(): Promise<void>;
  /** The lease that keeps a second run from changing the membership at the same time. */
  lease(): ChangeLease;
  /** A client URL that reaches the member at this ordinal from where the provider runs. */
  clientEndpoint(ordinal: number): Promise<Endpoint>;
  /**
   * The provider's client certificate, its key and the members' CA when the members require TLS
   * (read at run time, e.g. from a Secret, and never kept in inputs or state); undefined without TLS.
   */
  clientTLS(): Promise<ClientTLS | undefined>;
  close(): Promise<void>;
}
