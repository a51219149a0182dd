/**
 * The join-configuration contract between the component, the membership provider and etcd. The
 * provider writes the join settings into the ConfigMap `joinConfigMapName(...)` under these keys;
 * the component's pods read that ConfigMap whole as their environment (`envFrom`), and etcd reads
 * the keys as its own `--initial-cluster*` settings, at start only and only without a data dir.
 *
 * The settings name a member plainly only where starting on an empty volume is right: member 0
 * while the cluster is founded, or the learner being added. Every other member is listed as
 * `<name>.started`, so etcd refuses to start it on an empty volume ("couldn't find local name")
 * before it contacts anyone: a member starts only on its own data (docs/design.md, invariant 13).
 */

/** The ConfigMap's data keys: etcd's environment variables for its join settings. */
export const JOIN_KEYS = {
  initialCluster: "ETCD_INITIAL_CLUSTER",
  state: "ETCD_INITIAL_CLUSTER_STATE",
  token: "ETCD_INITIAL_CLUSTER_TOKEN",
} as const;

/** The suffix that keeps a member with data from matching an empty volume's name. */
export const STARTED_SUFFIX = ".started";

/** The settings a pod reads at start, as etcd's environment variables take them. */
export interface JoinSettings {
  /** `name=peerURL` pairs, comma separated, exactly as etcd's --initial-cluster takes them. */
  initialCluster: string;
  state: "new" | "existing";
  token: string;
}
