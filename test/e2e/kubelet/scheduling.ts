/**
 * The scheduler's decision for the one node of this kubelet, for the rules a StatefulSet of etcd
 * can carry: nodeSelector, required node affinity, required pod anti-affinity, and claims that
 * must exist, not be in deletion, and be bound (volumeBindingMode Immediate). Preferred (soft)
 * rules never block. Returns why the pod cannot be placed, in the scheduler's words, or undefined.
 *
 * One known difference in order: kube-scheduler runs the claim checks (VolumeBinding PreFilter)
 * before the node rules (NodeAffinity and InterPodAffinity Filter), so a pod with both problems
 * reports its claim first. Here the node rules come first, which keeps the message of a pod that
 * no node accepts stable while its claims are being bound (test/workload relies on that).
 */
import type {
  V1Node,
  V1NodeSelectorTerm,
  V1PersistentVolumeClaim,
  V1Pod,
} from "@kubernetes/client-node";
import { labelSelectorMatches, nodeRequirementsMatch } from "./selectors";

const unavailable = (reason: string) => `0/1 nodes are available: 1 ${reason}.`;

/**
 * A rejection at PreFilter, as kube-scheduler words it on a one-node cluster: FitError.Error
 * (pkg/scheduler/framework/types.go) gives "0/1 nodes are available: <PreFilter message>." without
 * a per-node count, then the DefaultPreemption PostFilter adds its verdict. A PreFilter rejection
 * is UnschedulableAndUnresolvable on every node, so Evaluator.findCandidates finds no node where
 * preemption might help and Evaluator.Preempt reports "Preemption is not helpful for scheduling"
 * (pkg/scheduler/framework/preemption/preemption.go), unless PodEligibleToPreemptOthers refuses
 * first (pkg/scheduler/framework/plugins/defaultpreemption/default_preemption.go).
 */
function rejectedAtPreFilter(pod: V1Pod, message: string): string {
  const preemption =
    pod.spec?.preemptionPolicy === "Never"
      ? "not eligible due to preemptionPolicy=Never."
      : "0/1 nodes are available: 1 Preemption is not helpful for scheduling.";
  return `0/1 nodes are available: ${message}. preemption: ${preemption}`;
}

const isTerminal = (pod: V1Pod) =>
  pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed";

export function schedulingProblem(
  pod: V1Pod,
  node: V1Node,
  podsOnNode: readonly V1Pod[],
  claim: (namespace: string, name: string) => V1PersistentVolumeClaim | undefined,
): string | undefined {
  const nodeLabels = node.metadata?.labels ?? {};
  const namespace = pod.metadata?.namespace ?? "default";

  const selector = Object.entries(pod.spec?.nodeSelector ?? {});
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const nodeFields = { "metadata.name": node.metadata?.name ?? "" };
  const termMatches = (term: V1NodeSelectorTerm) =>
    nodeRequirementsMatch(term.matchExpressions ?? [], nodeLabels) &&
    nodeRequirementsMatch(term.matchFields ?? [], nodeFields);
  if (
    selector.some(([k, v]) => nodeLabels[k] !== v) ||
    (required !== undefined && !required.nodeSelectorTerms.some(termMatches))
  ) {
    return unavailable("node(s) didn't match Pod's node affinity/selector");
  }

  if (pod.spec?.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length) {
    return unavailable(
      "node(s) didn't match pod affinity rules (the process kubelet does not evaluate required pod affinity)",
    );
  }
  for (const term of pod.spec?.affinity?.podAntiAffinity
    ?.requiredDuringSchedulingIgnoredDuringExecution ?? []) {
    if (nodeLabels[term.topologyKey] === undefined) continue;
    const namespaces = term.namespaces?.length ? term.namespaces : [namespace];
    const conflict = podsOnNode.some(
      (other) =>
        other.metadata?.uid !== pod.metadata?.uid &&
        !isTerminal(other) &&
        // A namespaceSelector is taken to select every namespace (namespace labels are not read).
        (term.namespaceSelector !== undefined ||
          namespaces.includes(other.metadata?.namespace ?? "")) &&
        labelSelectorMatches(term.labelSelector, other.metadata?.labels),
    );
    if (conflict) return unavailable("node(s) didn't match pod anti-affinity rules");
  }

  return claimProblem(pod, namespace, claim);
}

/**
 * VolumeBinding.PreFilter (pkg/scheduler/framework/plugins/volumebinding/volume_binding.go): first
 * podHasPVCs goes through the claims in volume order and stops at one that is missing, lost, or
 * being deleted (deletionTimestamp set: a claim on its way out must not get a new user; it is
 * released only once no scheduled pod uses it). Only then are unbound claims reported
 * (volumeBinder.GetPodVolumeClaims: with Immediate binding every claim should be bound already).
 * The pod is reconsidered on the next change; kube-scheduler re-queues it on an Add or Update of
 * one of its claims (VolumeBinding.isSchedulableAfterPersistentVolumeClaimChange).
 */
function claimProblem(
  pod: V1Pod,
  namespace: string,
  claim: (namespace: string, name: string) => V1PersistentVolumeClaim | undefined,
): string | undefined {
  let unbound = false;
  for (const volume of pod.spec?.volumes ?? []) {
    const claimName = volume.persistentVolumeClaim?.claimName;
    if (claimName === undefined) continue;
    const pvc = claim(namespace, claimName);
    if (pvc === undefined) {
      return rejectedAtPreFilter(pod, `persistentvolumeclaim "${claimName}" not found`);
    }
    if (pvc.status?.phase === "Lost") {
      return rejectedAtPreFilter(
        pod,
        `persistentvolumeclaim "${claimName}" bound to non-existent persistentvolume "${pvc.spec?.volumeName ?? ""}"`,
      );
    }
    if (pvc.metadata?.deletionTimestamp) {
      return rejectedAtPreFilter(pod, `persistentvolumeclaim "${claimName}" is being deleted`);
    }
    if (pvc.status?.phase !== "Bound") unbound = true;
  }
  return unbound
    ? rejectedAtPreFilter(pod, "pod has unbound immediate PersistentVolumeClaims")
    : undefined;
}
