import { strict as assert } from "node:assert";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";

/**
 * What the kubelet does with a container's env list: `$(NAME)` expands only to variables defined
 * earlier in the list, anything else stays as written; `metadata.name` is the pod's name.
 */
export function expandEnvironment(env: IEnvVar[], podName: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const variable of env) {
    const raw =
      variable.valueFrom?.fieldRef?.fieldPath === "metadata.name" ? podName : variable.value;
    assert.equal(typeof raw, "string", `${variable.name} has no value the kubelet can set`);
    values[variable.name] = (raw as string).replace(
      /\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
      (reference, name: string) => (name in values ? values[name] : reference),
    );
  }
  return values;
}
