/**
 * The Kubernetes objects a membership run may change, by identity: the StatefulSet's replicas,
 * each pod and claim by uid, the join ConfigMap (the cluster record in its `etcd-k8s.io/*`
 * annotations, and the join settings), and who holds the change lease. Two snapshots that are
 * equal mean nothing was scaled, deleted, re-created or re-recorded in between.
 */
import * as k8s from "@kubernetes/client-node";
import {
  type ClusterIdentity,
  DATA_VOLUME,
  joinConfigMapName,
  statefulSetName,
} from "../../../model/naming";

export interface ObjectsSnapshot {
  replicas?: number;
  /** `name uid`, plus ` terminating` once it is being deleted. */
  pods: string[];
  /** `name uid`, plus ` terminating`. */
  claims: string[];
  /** The record (annotations `etcd-k8s.io/*`), the join settings and the object's version. */
  record?: {
    annotations: Record<string, string>;
    data: Record<string, string>;
    resourceVersion?: string;
    deletionTimestamp?: string;
    finalizers: string[];
  };
}

const isNotFound = (error: unknown) => (error as { code?: number }).code === 404;
const orUndefined = <T>(error: unknown): T | undefined => {
  if (isNotFound(error)) return undefined;
  throw error;
};

const identity = (o: { metadata?: k8s.V1ObjectMeta }) =>
  `${o.metadata?.name} ${o.metadata?.uid}${o.metadata?.deletionTimestamp ? " terminating" : ""}`;

export async function snapshotObjects(
  config: k8s.KubeConfig,
  cluster: ClusterIdentity,
): Promise<ObjectsSnapshot> {
  const core = config.makeApiClient(k8s.CoreV1Api);
  const apps = config.makeApiClient(k8s.AppsV1Api);
  const { namespace } = cluster;
  const name = statefulSetName(cluster);
  const [statefulSet, pods, claims, configMap] = await Promise.all([
    apps.readNamespacedStatefulSet({ name, namespace }).catch(orUndefined<k8s.V1StatefulSet>),
    core.listNamespacedPod({ namespace }),
    core.listNamespacedPersistentVolumeClaim({ namespace }),
    core
      .readNamespacedConfigMap({ name: joinConfigMapName(cluster), namespace })
      .catch(orUndefined<k8s.V1ConfigMap>),
  ]);
  const ours = (o: { metadata?: k8s.V1ObjectMeta }, prefix: string) =>
    o.metadata?.name?.startsWith(prefix) ?? false;
  const deleted = configMap?.metadata?.deletionTimestamp;
  return {
    ...(statefulSet ? { replicas: statefulSet.spec?.replicas ?? 0 } : {}),
    pods: pods.items
      .filter((p) => ours(p, `${name}-`))
      .map(identity)
      .sort(),
    claims: claims.items
      .filter((c) => ours(c, `${DATA_VOLUME}-${name}-`))
      .map(identity)
      .sort(),
    ...(configMap
      ? {
          record: {
            annotations: Object.fromEntries(
              Object.entries(configMap.metadata?.annotations ?? {}).filter(([k]) =>
                k.startsWith("etcd-k8s.io/"),
              ),
            ),
            data: configMap.data ?? {},
            resourceVersion: configMap.metadata?.resourceVersion,
            ...(deleted ? { deletionTimestamp: new Date(deleted).toISOString() } : {}),
            finalizers: configMap.metadata?.finalizers ?? [],
          },
        }
      : {}),
  };
}

/** The change lease `<name>-membership`: its holder ("" once released), or undefined without one. */
export async function leaseHolder(
  config: k8s.KubeConfig,
  cluster: ClusterIdentity,
): Promise<string | undefined> {
  const lease = await config
    .makeApiClient(k8s.CoordinationV1Api)
    .readNamespacedLease({ name: `${cluster.name}-membership`, namespace: cluster.namespace })
    .catch(orUndefined<k8s.V1Lease>);
  return lease && (lease.spec?.holderIdentity ?? "");
}
