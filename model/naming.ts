/**
 * Names and addresses shared by the component (which emits the objects) and the membership
 * provider (which must find the same objects and match etcd members by the same peer URLs).
 * Pure: no Pulumi or Kubernetes imports, so the serialized provider stays small.
 */

export const CLIENT_PORT = 2379;
export const PEER_PORT = 2380;
export const METRICS_PORT = 2381;

/** Name of the volumeClaimTemplate; PVCs are `<template>-<statefulset>-<ordinal>`. */
export const DATA_VOLUME = "data";
/** Where the volume is mounted; etcd's data dir is a subdirectory so a wipe never removes the mount point. */
export const DATA_MOUNT_PATH = "/var/lib/etcd";
export const DATA_DIR = `${DATA_MOUNT_PATH}/data`;

export interface ClusterIdentity {
  /** The cluster name: also the StatefulSet name and the pod name prefix. */
  name: string;
  namespace: string;
  clusterDomain: string;
  /**
   * Peer and client TLS: every URL is https. Fixed at creation, since members are matched by their
   * peer URLs and etcd keeps each member's URLs in its own data.
   */
  tls?: boolean;
}

/** What names a cluster's objects, as the settings and the membership inputs both hold it. */
export interface IdentitySource {
  clusterName: string;
  namespace: string;
  clusterDomain: string;
  /** Peer and client TLS: set in the settings as `tls.enabled`, in the inputs as a client Secret. */
  tls?: boolean;
}

export const clusterIdentity = (source: IdentitySource): ClusterIdentity => ({
  name: source.clusterName,
  namespace: source.namespace,
  clusterDomain: source.clusterDomain,
  ...(source.tls ? { tls: true } : {}),
});

/** `https` with TLS, `http` otherwise. */
export const urlScheme = (c: ClusterIdentity): string => (c.tls ? "https" : "http");

export const statefulSetName = (c: ClusterIdentity): string => c.name;
export const podName = (c: ClusterIdentity, ordinal: number): string => `${c.name}-${ordinal}`;
export const peerServiceName = (c: ClusterIdentity): string => `${c.name}-peer`;
export const clientServiceName = (c: ClusterIdentity): string => `${c.name}-client`;
/**
 * Set by the membership provider on the pods of healthy voters, and only on those: the
 * PodDisruptionBudget selects it, so a learner (or a pod whose member was removed) never counts.
 */
export const VOTER_LABEL = "etcd-k8s.io/voter";

/** ConfigMap owned by the membership provider: the cluster record and the join settings. */
export const joinConfigMapName = (c: ClusterIdentity): string => `${c.name}-join`;
/** The StatefulSet names each pod's claim `<template>-<pod>`. */
export const podVolumeName = (pod: string): string => `${DATA_VOLUME}-${pod}`;
export const pvcName = (c: ClusterIdentity, ordinal: number): string =>
  podVolumeName(podName(c, ordinal));

/**
 * DNS name of a pod through the headless peer Service. The pod spec passes `$(POD_NAME)` so that
 * each pod advertises exactly the URL the membership provider computes with `memberHost`.
 */
export const podHost = (c: ClusterIdentity, pod: string): string =>
  `${pod}.${peerServiceName(c)}.${c.namespace}.svc.${c.clusterDomain}`;

/** Stable DNS name of one member through the headless peer Service. */
export const memberHost = (c: ClusterIdentity, ordinal: number): string =>
  podHost(c, podName(c, ordinal));

export const peerURL = (c: ClusterIdentity, ordinal: number): string =>
  `${urlScheme(c)}://${memberHost(c, ordinal)}:${PEER_PORT}`;

/** The member at one StatefulSet ordinal: matched against etcd by its peer URL. */
export interface MemberSlot {
  ordinal: number;
  /** The etcd member name and pod name, e.g. `etcd-2`. */
  name: string;
  peerURL: string;
}

export const memberSlot = (c: ClusterIdentity, ordinal: number): MemberSlot => ({
  ordinal,
  name: podName(c, ordinal),
  peerURL: peerURL(c, ordinal),
});

export const memberClientURL = (c: ClusterIdentity, ordinal: number): string =>
  `${urlScheme(c)}://${memberHost(c, ordinal)}:${CLIENT_PORT}`;

export const clientEndpoint = (c: ClusterIdentity): string =>
  `${urlScheme(c)}://${clientServiceName(c)}.${c.namespace}.svc.${c.clusterDomain}:${CLIENT_PORT}`;

/** The PodDisruptionBudget shares the cluster name: there is one per cluster. */
export const disruptionBudgetName = (c: ClusterIdentity): string => c.name;
/** One NetworkPolicy per cluster, named like it. */
export const networkPolicyName = (c: ClusterIdentity): string => c.name;
