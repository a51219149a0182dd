/**
 * Reads the stack config (`Pulumi.<stack>.yaml`, `pulumi config set`) into validated cluster
 * settings. Every key under the project's namespace must be known, so a typo is refused instead of
 * silently falling back to a default; nothing is registered before this has passed.
 */
import * as pulumi from "@pulumi/pulumi";
import { SET_ROOT_PASSWORD, secretViolation } from "../model/config/authRules";
import { validationError, type Violation, violation } from "../model/config/rules";
import {
  CONFIG_FIELDS,
  CONFIG_KEYS,
  type ClusterSettings,
  type ConfigText,
  type EtcdClusterArgs,
  checkClusterArgs,
} from "../model/config/settings";

/** `clusterName` is also the Pulumi resource name of the component, so the config defaults it. */
export const DEFAULT_CLUSTER_NAME = "etcd";

/**
 * Config values arrive as text. Decode what reads as the expected type and pass anything else on
 * unchanged, so the rule that refuses it shows the value exactly as it was written.
 */
function decode(text: string, kind: ConfigText): unknown {
  if (kind === "number") return /^[-+]?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text;
  if (kind === "boolean") return text === "true" ? true : text === "false" ? false : text;
  if (kind === "json") {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

const configField = (key: string) =>
  (CONFIG_FIELDS as Record<string, { text: ConfigText } | undefined>)[key];

function unknownKey(key: string, value: string): Violation {
  const parent = key.split(".")[0];
  // `pulumi config set --secret auth.rootPassword` without --path: the value is a password.
  if (parent === "auth")
    return secretViolation(
      key,
      `unknown key; set the fields of auth with --path, e.g. ${SET_ROOT_PASSWORD}`,
    );
  if (key.includes(".") && configField(parent)?.text === "json")
    return violation(
      key,
      value,
      `unknown key; to set a field of ${parent} run: pulumi config set --path ${key} <value>`,
    );
  return violation(key, value, `unknown key; the keys are ${CONFIG_KEYS.join(", ")}`);
}

/**
 * Pure core of `readStackConfig`: `config` maps `<namespace>:<key>` to text, as
 * `pulumi.runtime.allConfig()` returns it; keys of other namespaces (e.g. `kubernetes:`) are not ours.
 */
export function parseStackConfig(
  config: Record<string, string>,
  project: string,
  stack: string,
): ClusterSettings {
  const prefix = `${project}:`;
  const violations: Violation[] = [];
  const args: Record<string, unknown> = {};
  for (const [fullKey, text] of Object.entries(config)) {
    if (!fullKey.startsWith(prefix)) continue;
    const key = fullKey.slice(prefix.length);
    const field = configField(key);
    if (field) args[key] = decode(text, field.text);
    else violations.push(unknownKey(key, text));
  }
  const checked = checkClusterArgs(args as unknown as EtcdClusterArgs, DEFAULT_CLUSTER_NAME);
  violations.push(...checked.violations);
  if (!checked.settings || violations.length > 0)
    throw validationError(`Stack ${JSON.stringify(stack)} config of ${project}`, violations);
  return checked.settings;
}

/**
 * `pulumi.Config` reads one key at a time and cannot list the keys that were set, which the typo
 * check needs; `allConfig` holds the same values.
 */
export function readStackConfig(): ClusterSettings {
  return parseStackConfig(pulumi.runtime.allConfig(), pulumi.getProject(), pulumi.getStack());
}
