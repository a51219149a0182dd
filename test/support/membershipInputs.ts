/** Valid membership inputs without the optional parts, for tests of one optional input at a time. */
export const BASE_MEMBERSHIP_INPUTS = {
  clusterName: "etcd",
  namespace: "etcd",
  owner: "etcd-k8s/test/etcd",
  clusterDomain: "cluster.local",
  size: 3,
  volumePolicy: "Delete",
  access: "pod-ip",
} as const;
