import type { SnapshotSettings } from "../snapshots/store";
import type { VolumePolicy } from "./types";

/** How the provider reaches etcd: see README, "Reaching etcd". */
export type AccessMode = "port-forward" | "pod-ip" | "endpoints";

/**
 * Inputs of the membership resource, as the program passes them. Everything the provider needs later
 * is here and copied to the outputs, because `diff` and `update` receive the previous outputs only.
 */
export interface MembershipArgs {
  /** Cluster name: the StatefulSet name and pod name prefix. Changing it replaces the resource. */
  clusterName: string;
  /** Changing it replaces the resource. */
  namespace: string;
  /**
   * Who manages the cluster, e.g. `etcd-k8s/prod/etcd`: recorded when the cluster is founded; a
   * cluster recorded under another owner is never changed.
   */
  owner: string;
  /**
   * Member IDs (hex, as `memberStatus` and etcdctl show them) to replace: each is removed, its
   * volume discarded, and a new member added in its place as a learner on an empty volume. An ID
   * that is no longer a member (already replaced) is skipped.
   */
  replaceMembers?: string[];
  clusterDomain: string;
  size: number;
  volumePolicy: VolumePolicy;
  access: AccessMode;
  /**
   * With access `endpoints`: one client URL per ordinal, `{ordinal}` and `{name}` are substituted,
   * e.g. `https://{name}.etcd.example.com:2379`.
   */
  endpointTemplate?: string;
  /**
   * Stack config values fixed at creation (e.g. `storage.size`), by config key: `check` refuses a
   * later change to any of them, naming the key, the old and the new value.
   */
  fixedAtCreation?: Record<string, string>;
  /**
   * Safety snapshots before every membership change: an absolute directory on the machine that runs
   * `pulumi up`, and how many to keep. Absent: no snapshots.
   */
  snapshots?: SnapshotSettings;
  /**
   * Peer and client TLS: the name of the `kubernetes.io/tls` Secret (in the cluster's namespace)
   * holding the provider's client certificate, key and the members' CA. Only the name: the key is
   * read at run time and never enters inputs, outputs or state. Absent: plain http.
   */
  tls?: MembershipTls;
  /**
   * Root's password for etcd RBAC (`auth.rootPassword`, a Pulumi secret): present means
   * authentication on. Marked secret in the outputs, which keep it for the next change of password.
   */
  rootPassword?: string;
  /** Kubeconfig content; when absent the provider uses KUBECONFIG, ~/.kube/config or in-cluster config. */
  kubeconfig?: string;
  /**
   * This resource's own URN, so that progress lines are shown under it (see engineLog.ts). The
   * `__` prefix keeps it out of what preview displays; `diff` ignores it.
   */
  __urn?: string;
}

export interface MembershipTls {
  clientSecret: string;
}

/** What `check` adds, so that `pulumi preview --diff` shows the planned change. */
export interface PlannedChange {
  /** Names of the members after the change, e.g. ["etcd-0", "etcd-1", "etcd-2"]. */
  members: string[];
  /** One readable line, e.g. "add etcd-1, etcd-2 as learners one at a time, promoting each". */
  plan: string;
}

export type MembershipInputs = MembershipArgs & PlannedChange;
