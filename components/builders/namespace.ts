import type * as k8s from "@pulumi/kubernetes";
import type { ClusterSettings } from "../../model/config/settings";
import { annotationsOf, commonLabels } from "./labels";

export function namespaceArgs(settings: ClusterSettings): k8s.core.v1.NamespaceArgs {
  return {
    metadata: {
      name: settings.namespace,
      labels: commonLabels(settings),
      ...annotationsOf(settings),
    },
  };
}
