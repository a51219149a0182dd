/**
 * Settings a running cluster cannot change. The component ignores changes to the StatefulSet fields
 * Kubernetes cannot update (so Pulumi never replaces it and stops every member at once); `check`
 * turns such a config edit into a refusal that says why, instead of letting it pass unnoticed.
 */
import { type Violation, describeValue, violation } from "../../model/config/rules";

/** Config key to its value at creation, as the stack config spells both. */
export type FixedSettings = Record<string, string>;

const WHY: Record<string, string> = {
  "storage.size":
    "the StatefulSet's volume claim template is fixed at creation; resize the existing PVCs directly if their storage class allows expansion",
  "storage.className":
    "the StatefulSet's volume claim template is fixed at creation; move to another class by creating a new cluster and restoring a snapshot into it",
  "tls.enabled":
    "every member's peer URL (http or https) is kept in etcd's own data and cannot be switched in place; to change it, create a new cluster with the wanted tls.enabled and restore a safety snapshot into it",
};

function isFixedSettings(value: unknown): value is FixedSettings {
  return (
    typeof value === "object" &&
    value !== null &&
    Object.values(value).every((v) => typeof v === "string")
  );
}

/** Old inputs without this record (written before it existed) have nothing to compare against. */
export function checkFixedSettings(
  olds: Record<string, unknown>,
  news: Record<string, unknown>,
): Violation[] {
  const before = olds.fixedAtCreation;
  const after = news.fixedAtCreation;
  if (!isFixedSettings(before) || !isFixedSettings(after)) return [];
  return Object.entries(before)
    .filter(([key, value]) => key in after && after[key] !== value)
    .map(([key, value]) =>
      violation(
        key,
        after[key],
        `must stay ${describeValue(value)} on a running cluster: ${WHY[key] ?? "it is fixed at creation"}`,
      ),
    );
}
