/** Labels and metadata shared by every object of one cluster. */
import type * as k8s from "@pulumi/kubernetes";
import type { ClusterSettings } from "../../model/config/settings";

/** Pulumi annotation that turns off its await logic for one object. */
export const SKIP_AWAIT = "pulumi.com/skipAwait";

/** Selects the cluster's pods; fixed for the life of the StatefulSet (its selector is immutable). */
export function selectorLabels(settings: ClusterSettings): Record<string, string> {
  return {
    "app.kubernetes.io/name": "etcd",
    "app.kubernetes.io/instance": settings.clusterName,
  };
}

/** User labels first, so the selector labels always win (the config refuses clashes anyway). */
export function commonLabels(settings: ClusterSettings): Record<string, string> {
  return {
    ...settings.labels,
    ...selectorLabels(settings),
    "app.kubernetes.io/managed-by": "pulumi",
  };
}

/**
 * The user's annotations with the component's own (which win), as a metadata fragment: none when
 * empty, because the API server stores no empty map, and an `annotations: {}` input would then
 * differ from the live object at every preview (cert-manager's Certificates showed `~ metadata`).
 */
export function annotationsOf(
  settings: ClusterSettings,
  own: Record<string, string> = {},
): { annotations?: Record<string, string> } {
  const annotations = { ...settings.annotations, ...own };
  return Object.keys(annotations).length > 0 ? { annotations } : {};
}

/** Metadata of a namespaced object; `annotations` are the component's own and win over the user's. */
export function objectMeta(
  settings: ClusterSettings,
  name: string,
  annotations: Record<string, string> = {},
): k8s.types.input.meta.v1.ObjectMeta {
  return {
    name,
    namespace: settings.namespace,
    labels: commonLabels(settings),
    ...annotationsOf(settings, annotations),
  };
}
