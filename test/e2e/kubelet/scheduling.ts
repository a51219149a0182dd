/**
 * The scheduler's decision for the one node of this kubelet, for the rules a StatefulSet of etcd
 * can carry: nodeSelector, required node affinity, required pod anti-affinity, and claims that
 * must exist and be bound (volumeBindingMode Immediate). Preferred (soft) rules never block.
 * Returns why the pod cannot be placed, in the scheduler's words, or undefined.
 */
import type {
  V1Node,
  V1NodeSelectorTerm,
  V1PersistentVolumeClaim,
  V1Pod,
} from "@kubernetes/client-node";
import { labelSelectorMatches, nodeRequirementsMatch } from "./selectors";

const unavailable = (reason: string) => `0/1 nodes are available: 1 ${reason}.`;

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

  for (const volume of pod.spec?.volumes ?? []) {
    const claimName = volume.persistentVolumeClaim?.claimName;
    if (claimName === undefined) continue;
    const pvc = claim(namespace, claimName);
    if (pvc === undefined) return `persistentvolumeclaim "${claimName}" not found`;
    if (pvc.metadata?.deletionTimestamp)
      return `persistentvolumeclaim "${claimName}" is being deleted`;
    if (pvc.status?.phase !== "Bound") {
      return unavailable("pod has unbound immediate PersistentVolumeClaims");
    }
  }
  return undefined;
}
