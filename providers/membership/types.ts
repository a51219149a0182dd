/**
 * The contracts of the membership provider. The reconciler plans from live state and acts only
 * through these two narrow interfaces, so the same code runs against Kubernetes in production and
 * against local etcd processes in tests.
 */
import type { ClientTLS } from "../etcd/security";

/** Volume policy for a removed member: delete its volume at once, or keep it until its ordinal returns. */
export type VolumePolicy = "Delete" | "Retain";

/** Identity of the member that lives at one StatefulSet ordinal. Matched against etcd by peer URL. */
export interface MemberSlot {
  ordinal: number;
  /** The etcd member name and pod name, e.g. `etcd-2`. */
  name: string;
  peerURL: string;
}

/** What a joining member reads at start (the ETCD_INITIAL_CLUSTER* settings of invariant 3). */
export interface JoinConfig {
  /** `name=peerURL` pairs, comma separated, exactly as etcd's --initial-cluster takes them. */
  initialCluster: string;
  state: "new" | "existing";
}

export interface PodState {
  ordinal: number;
  name: string;
  /** `running`: the process/container runs; `waiting`: created but not running; `terminating`: being deleted. */
  phase: "waiting" | "running" | "terminating";
  ready: boolean;
  restarts: number;
  /** Why the container last exited or cannot start, when the runtime tells (e.g. the etcd log's last error). */
  lastTermination?: string;
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
  /** Desired replica count (the StatefulSet's spec.replicas). */
  replicas(): Promise<number>;
  scale(replicas: number): Promise<void>;
  pods(): Promise<PodState[]>;
  /** Ordinals that currently own a volume (a PVC, a data directory). */
  volumes(): Promise<number[]>;
  /** Deletes the volume of a member whose pod is gone; resolves once the volume no longer exists. */
  deleteVolume(ordinal: number): Promise<void>;
  readJoinConfig(): Promise<JoinConfig | undefined>;
  writeJoinConfig(config: JoinConfig): Promise<void>;
  /** Removes what only the provider owns (the join configuration); volumes are left alone. */
  removeJoinConfig(): Promise<void>;
  /** A client URL that reaches the member at this ordinal from where the provider runs. */
  clientEndpoint(ordinal: number): Promise<Endpoint>;
  /**
   * The provider's client certificate, its key and the members' CA when the members require TLS
   * (read at run time, e.g. from a Secret, and never kept in inputs or state); undefined without TLS.
   */
  clientTLS(): Promise<ClientTLS | undefined>;
  close(): Promise<void>;
}
