/** The StatefulSet: stable member names and one volume per member. */
import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import { type ClusterSettings, clusterIdentity } from "../../model/config/settings";
import { DATA_VOLUME, peerServiceName, statefulSetName } from "../../model/naming";
import { SKIP_AWAIT, annotationsOf, commonLabels, objectMeta, selectorLabels } from "./labels";

/**
 * `spec.replicas` is left out on purpose: the membership provider owns the member count and
 * changes it through the scale subresource one step at a time, so a later `pulumi up` must never
 * reset it. (Kubernetes starts a new StatefulSet at 1 replica: the bootstrap member.)
 *
 * Pulumi's await for a StatefulSet waits until every replica is ready. Here that would deadlock on
 * creation (the first pod waits for the join settings the membership provider writes, and the
 * provider runs only once this StatefulSet exists) and would duplicate, less precisely, the
 * provider's own health checks during changes; hence `skipAwait`.
 */
export function statefulSetArgs(
  settings: ClusterSettings,
  podSpec: pulumi.Input<k8s.types.input.core.v1.PodSpec>,
): k8s.apps.v1.StatefulSetArgs {
  const identity = clusterIdentity(settings);
  const { className, size } = settings.storage;
  return {
    metadata: objectMeta(settings, statefulSetName(identity), { [SKIP_AWAIT]: "true" }),
    spec: {
      serviceName: peerServiceName(identity),
      selector: { matchLabels: selectorLabels(settings) },
      // Only scaling is affected: the provider orders member changes itself, and OrderedReady
      // could wait forever for a pod that cannot be ready until the provider acts. Rolling
      // updates still replace one pod at a time.
      podManagementPolicy: "Parallel",
      updateStrategy: { type: "RollingUpdate" },
      // whenScaled applies the volume policy to removed members; whenDeleted keeps every volume
      // when the StatefulSet itself goes, e.g. on `pulumi destroy`.
      persistentVolumeClaimRetentionPolicy: {
        whenScaled: settings.pvcPolicy,
        whenDeleted: "Retain",
      },
      template: {
        metadata: { labels: commonLabels(settings), ...annotationsOf(settings) },
        spec: podSpec,
      },
      volumeClaimTemplates: [
        {
          // Only the fixed selector labels: any change to a claim template makes Pulumi replace the
          // whole StatefulSet, so user labels (which may change) stay out of it.
          metadata: { name: DATA_VOLUME, labels: selectorLabels(settings) },
          spec: {
            accessModes: ["ReadWriteOnce"],
            ...(className === undefined ? {} : { storageClassName: className }),
            resources: { requests: { storage: size } },
          },
        },
      ],
    },
  };
}
