/**
 * Objects for the workload's tests against a real API server, beyond the e2e fixture of the
 * component's StatefulSet: a StatefulSet whose pods no node accepts, so they stay Pending (no pod
 * IP, not running) for as long as a test needs, and a pod of the same labels but a foreign name.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import { DATA_VOLUME, type ClusterIdentity } from "../../model/naming";

const labels = (c: ClusterIdentity) => ({
  "app.kubernetes.io/name": "etcd",
  "app.kubernetes.io/instance": c.name,
});

const nowhere = { "etcd-k8s.example/no-such-node": "true" };

const container = { name: "etcd", image: "gcr.io/etcd-development/etcd:v3.5.21" };

export function parkedStatefulSet(c: ClusterIdentity, replicas: number): KubernetesObject {
  return {
    apiVersion: "apps/v1",
    kind: "StatefulSet",
    metadata: { name: c.name, namespace: c.namespace },
    spec: {
      replicas,
      serviceName: `${c.name}-peer`,
      podManagementPolicy: "Parallel",
      selector: { matchLabels: labels(c) },
      template: {
        metadata: { labels: labels(c) },
        spec: {
          nodeSelector: nowhere,
          containers: [
            { ...container, volumeMounts: [{ name: DATA_VOLUME, mountPath: "/var/lib/etcd" }] },
          ],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: DATA_VOLUME },
          spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
        },
      ],
    },
  } as KubernetesObject;
}

/** Selected by the StatefulSet's selector, but not one of its members. */
export function foreignPod(c: ClusterIdentity, name: string): KubernetesObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: c.namespace, labels: labels(c) },
    spec: { nodeSelector: nowhere, containers: [container] },
  } as KubernetesObject;
}
