/** The PodDisruptionBudget: a voluntary disruption (drain, eviction) never costs quorum. */
import type * as k8s from "@pulumi/kubernetes";
import { type ClusterSettings, clusterIdentity } from "../config/settings";
import { disruptionBudgetName } from "../naming";
import { objectMeta, selectorLabels } from "./labels";

/**
 * Kubernetes rounds a percentage `minAvailable` up and applies it to the StatefulSet's live scale,
 * so ceil(0.51·n) equals etcd's quorum floor(n/2)+1 for every n from 1 to 49. A percentage also
 * follows the membership provider's one-step-at-a-time scaling as it happens, where a fixed number
 * would lag a whole `pulumi up` behind: too strict mid scale-down, too loose mid scale-up.
 * The default unhealthy-pod policy stays: a member whose probe fails may still be a voter.
 */
export const MIN_AVAILABLE = "51%";

export function disruptionBudgetArgs(
  settings: ClusterSettings,
): k8s.policy.v1.PodDisruptionBudgetArgs {
  return {
    metadata: objectMeta(settings, disruptionBudgetName(clusterIdentity(settings))),
    spec: {
      minAvailable: MIN_AVAILABLE,
      selector: { matchLabels: selectorLabels(settings) },
    },
  };
}
