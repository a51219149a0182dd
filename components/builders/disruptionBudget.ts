/** The PodDisruptionBudget: a voluntary disruption (drain, eviction) never costs quorum. */
import type * as k8s from "@pulumi/kubernetes";
import { type ClusterSettings, clusterIdentity } from "../../model/config/settings";
import { VOTER_LABEL, disruptionBudgetName } from "../../model/naming";
import { objectMeta, selectorLabels } from "./labels";

/**
 * Kubernetes rounds a percentage `minAvailable` up and applies it to the StatefulSet's live scale,
 * so ceil(0.51·n) equals etcd's quorum floor(n/2)+1 for every n from 1 to 49. A percentage also
 * follows the membership provider's one-step-at-a-time scaling as it happens, where a fixed number
 * would lag a whole `pulumi up` behind. The default unhealthy-pod policy stays: a member whose
 * probe fails may still be a voter.
 *
 * The budget selects only pods with the voter label, which the provider sets on healthy voters
 * and removes before it removes a member: a learner is never counted (etcd 3.5.11–3.5.18 report a
 * learner ready), nor a pod whose member was just removed. Every counted pod is a voter, and at
 * least ceil(0.51·replicas) ≥ quorum of the voters must stay ready, whatever else is evicted. A pod
 * that lost the label (re-created) is not counted until the next `pulumi up` labels it again:
 * stricter, never looser.
 */
export const MIN_AVAILABLE = "51%";

export function disruptionBudgetArgs(
  settings: ClusterSettings,
): k8s.policy.v1.PodDisruptionBudgetArgs {
  return {
    metadata: objectMeta(settings, disruptionBudgetName(clusterIdentity(settings))),
    spec: {
      minAvailable: MIN_AVAILABLE,
      selector: { matchLabels: { ...selectorLabels(settings), [VOTER_LABEL]: "true" } },
    },
  };
}
