/** Label selectors as the scheduler evaluates them (metav1.LabelSelector, core/v1 NodeSelector). */
import type { V1LabelSelector, V1NodeSelectorRequirement } from "@kubernetes/client-node";

type Labels = Record<string, string> | undefined;

function requirementMatches(
  labels: Labels,
  r: { key: string; operator: string; values?: string[] },
): boolean {
  const value = labels?.[r.key];
  switch (r.operator) {
    case "In":
      return value !== undefined && (r.values ?? []).includes(value);
    case "NotIn":
      return value === undefined || !(r.values ?? []).includes(value);
    case "Exists":
      return value !== undefined;
    case "DoesNotExist":
      return value === undefined;
    default:
      throw new Error(`label selector operator ${JSON.stringify(r.operator)} is not supported`);
  }
}

/** An empty selector matches everything; a null one (undefined) matches nothing. */
export function labelSelectorMatches(
  selector: V1LabelSelector | undefined,
  labels: Labels,
): boolean {
  if (selector === undefined) return false;
  const matchLabels = Object.entries(selector.matchLabels ?? {});
  return (
    matchLabels.every(([k, v]) => labels?.[k] === v) &&
    (selector.matchExpressions ?? []).every((r) => requirementMatches(labels, r))
  );
}

export function nodeRequirementsMatch(
  requirements: V1NodeSelectorRequirement[],
  labels: Labels,
): boolean {
  return requirements.every((r) => requirementMatches(labels, r));
}
