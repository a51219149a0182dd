/**
 * Reads the stack config (`Pulumi.<stack>.yaml`, `pulumi config set`) into validated cluster
 * settings. Every key under the project's namespace must be known, so a typo is refused instead of
 * silently falling back to a default; nothing is registered before this has passed.
 */
import * as pulumi from "@pulumi/pulumi";
import { SET_ROOT_PASSWORD, secretViolation } from "../model/config/authRules";
import { ValidationError, type Violation, violation } from "../model/config/rules";
import {
  type ClusterSettings,
  type EtcdClusterArgs,
  checkClusterArgs,
} from "../model/config/settings";

/** `clusterName` is also the Pulumi resource name of the component, so the config defaults it. */
export const DEFAULT_CLUSTER_NAME = "etcd";

const NUMBER_KEYS = ["size"] as const;
const BOOLEAN_KEYS = ["createNamespace"] as const;
/** Structured values: the Pulumi CLI hands them to the program as JSON text. */
const OBJECT_KEYS = [
  "storage",
  "resources",
  "labels",
  "annotations",
  "networkPolicy",
  "snapshots",
  "tls",
  "auth",
  "replaceMembers",
] as const;
const STRING_KEYS = [
  "clusterName",
  "namespace",
  "image",
  "antiAffinity",
  "pvcPolicy",
  "clientServiceType",
  "clusterDomain",
  "access",
  "endpointTemplate",
] as const;

export const CONFIG_KEYS: readonly string[] = [
  ...NUMBER_KEYS,
  ...BOOLEAN_KEYS,
  ...OBJECT_KEYS,
  ...STRING_KEYS,
];

const includes = (keys: readonly string[], key: string): boolean => keys.includes(key);

/**
 * Config values arrive as text. Decode what reads as the expected type and pass anything else on
 * unchanged, so the rule that refuses it shows the value exactly as it was written.
 */
function decode(key: string, text: string): unknown {
  if (includes(NUMBER_KEYS, key))
    return /^[-+]?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : text;
  if (includes(BOOLEAN_KEYS, key)) return text === "true" ? true : text === "false" ? false : text;
  if (includes(OBJECT_KEYS, key)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

function unknownKey(key: string, value: string): Violation {
  const parent = key.split(".")[0];
  // `pulumi config set --secret auth.rootPassword` without --path: the value is a password.
  if (parent === "auth")
    return secretViolation(
      key,
      `unknown key; set the fields of auth with --path, e.g. ${SET_ROOT_PASSWORD}`,
    );
  if (key.includes(".") && includes(OBJECT_KEYS, parent))
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
    if (includes(CONFIG_KEYS, key)) args[key] = decode(key, text);
    else violations.push(unknownKey(key, text));
  }
  const checked = checkClusterArgs(args as unknown as EtcdClusterArgs, DEFAULT_CLUSTER_NAME);
  violations.push(...checked.violations);
  if (!checked.settings || violations.length > 0)
    throw new ValidationError(`Stack ${JSON.stringify(stack)} config of ${project}`, violations);
  return checked.settings;
}

/**
 * `pulumi.Config` reads one key at a time and cannot list the keys that were set, which the typo
 * check needs; `allConfig` holds the same values.
 */
export function readStackConfig(): ClusterSettings {
  return parseStackConfig(pulumi.runtime.allConfig(), pulumi.getProject(), pulumi.getStack());
}
