/**
 * What an etcd cluster can be asked to be, its defaults, and the one validation every input passes
 * through: the stack config (see `stackConfig.ts`) and direct `EtcdCluster` arguments alike.
 */
import { type ClusterIdentity, clusterIdentity as identityOf } from "../naming";
import { type AuthArgs, checkAuth } from "./auth";
import {
  BUILT_IN_NAMESPACES,
  checkEndpointTemplate,
  checkImage,
  checkStartsWithLetter,
} from "./kubernetesRules";
import {
  ACCESS_MODES,
  MAX_CLUSTER_NAME_LENGTH,
  VOLUME_POLICIES,
  type AccessMode,
  validationError,
  type Violation,
  type VolumePolicy,
  checkBoolean,
  checkDnsLabel,
  checkDnsSubdomain,
  checkOneOf,
  checkReplaceMembers,
  checkSize,
  violation,
} from "./rules";
import { type NetworkPolicyArgs, checkNetworkPolicy } from "./networkPolicy";
import {
  type ContainerResources,
  type StorageArgs,
  checkAnnotations,
  checkLabels,
  checkResources,
  checkStorage,
  collect,
} from "./structuredValues";

import { type SnapshotsArgs, checkSnapshots } from "./snapshotRules";
import { type TlsArgs, checkTls } from "./tlsRules";

export type { ContainerResources, ResourceQuantities, StorageArgs } from "./structuredValues";
export type { NetworkPolicyArgs, NetworkPolicySettings, TrafficSource } from "./networkPolicy";
export type { SnapshotsArgs, SnapshotsConfig } from "./snapshotRules";
export type { TlsArgs, TlsSecretNames, TlsSettings } from "./tlsRules";
export type { AuthArgs, AuthSettings } from "./auth";

export const DEFAULT_IMAGE = "gcr.io/etcd-development/etcd:v3.5.35";
export const DEFAULT_CLUSTER_DOMAIN = "cluster.local";

export const ANTI_AFFINITIES = ["preferred", "required", "none"] as const;
export const CLIENT_SERVICE_TYPES = ["ClusterIP", "NodePort", "LoadBalancer"] as const;

export type AntiAffinity = (typeof ANTI_AFFINITIES)[number];
export type ClientServiceType = (typeof CLIENT_SERVICE_TYPES)[number];

/**
 * Plain values rather than `pulumi.Input`s: every one of them names an object or must be checked
 * before the first resource is registered. The one exception is the root password, a secret.
 */
export interface EtcdClusterArgs {
  /** Voting members, 1 to 9. Required: nobody should get a single member by accident. */
  size: number;
  /** StatefulSet name and pod name prefix (at most 52 characters). Default: the resource name. */
  clusterName?: string;
  namespace?: string;
  /** Create the namespace (kept on `pulumi destroy`, since deleting it would delete the volumes). */
  createNamespace?: boolean;
  /** Official etcd image, pinned; 3.5.11 or newer. */
  image?: string;
  storage?: StorageArgs;
  /** Container requests and limits; replaces the default as a whole. */
  resources?: ContainerResources;
  /** Spread members over nodes: `preferred` (soft), `required` (hard) or `none`. */
  antiAffinity?: AntiAffinity;
  /** What happens to a removed member's volume (StatefulSet `whenScaled`). */
  pvcPolicy?: VolumePolicy;
  clientServiceType?: ClientServiceType;
  clusterDomain?: string;
  /** Extra labels on every object and pod. */
  labels?: Record<string, string>;
  /** Extra annotations on every object and pod. */
  annotations?: Record<string, string>;
  /** How the membership provider reaches etcd. */
  access?: AccessMode;
  /** With access `endpoints`: a client URL per member, `{ordinal}` or `{name}` substituted. */
  endpointTemplate?: string;
  /** A NetworkPolicy limiting who reaches the members (off by default; docs/configuration.md, "NetworkPolicy"). */
  networkPolicy?: NetworkPolicyArgs;
  /** Safety snapshots before membership changes (on by default). */
  snapshots?: SnapshotsArgs;
  /** Peer and client TLS with mutual authentication (off by default; fixed at creation). */
  tls?: TlsArgs;
  /** etcd authentication with a root user (off by default). */
  auth?: AuthArgs;
  /**
   * Member IDs (hex) to replace with new members on empty volumes (docs/operations.md, "Replacing a member").
   * An ID that is no longer a member is skipped, so the list may stay set after the replacement.
   */
  replaceMembers?: string[];
}

/** Where a key's rules and default live, and how the stack config's text reads. */
interface Resolution {
  key: string;
  /** The settings resolved before this key, in table order. */
  before: Partial<Record<keyof EtcdClusterArgs, unknown>>;
  /** The component's resource name: the default cluster name. */
  resourceName: string;
  out: Violation[];
}

/** How `pulumi config` text reads: a number, true/false, JSON, or the text as written. */
export type ConfigText = "number" | "boolean" | "json" | "string";

interface ConfigField<K extends keyof EtcdClusterArgs> {
  text: ConfigText;
  /** Applies the default and every rule of the key; the value is used only when none refused. */
  resolve: (value: EtcdClusterArgs[K], r: Resolution) => unknown;
}

type Rule = (key: string, value: unknown) => Violation | undefined;

/** The value or its default, checked by one rule. */
const defaulted =
  <T>(fallback: T, rule: Rule) =>
  (value: T | undefined, r: Resolution): T => {
    const resolved = value ?? fallback;
    collect(r.out, rule(r.key, resolved));
    return resolved;
  };

const oneOf = <T extends string>(fallback: T, choices: readonly T[]) =>
  defaulted<T>(fallback, (key, value) => checkOneOf(key, value, choices));

function resolveClusterName(value: string | undefined, r: Resolution): string {
  const name = value ?? r.resourceName;
  if (collect(r.out, checkDnsLabel(r.key, name, MAX_CLUSTER_NAME_LENGTH)))
    collect(r.out, checkStartsWithLetter(r.key, name));
  return name;
}

function resolveCreateNamespace(value: boolean | undefined, r: Resolution): boolean {
  const create = value ?? true;
  const namespace = r.before.namespace as string;
  if (
    collect(r.out, checkBoolean(r.key, create)) &&
    create &&
    BUILT_IN_NAMESPACES.includes(namespace)
  )
    r.out.push(
      violation(
        r.key,
        create,
        `must be false for namespace ${JSON.stringify(namespace)}, which every cluster already has`,
      ),
    );
  return create;
}

/**
 * Every key an etcd cluster takes, once: its default, its rules and how its config text reads. The
 * stack config, the component's arguments and (through `model/membership/inputs.ts`) the
 * provider's `check` all go through these rules. Keys resolve in this order; a rule may read
 * the keys resolved before it.
 */
export const CONFIG_FIELDS = {
  clusterName: { text: "string", resolve: resolveClusterName },
  size: { text: "number", resolve: (value, r) => (collect(r.out, checkSize(r.key, value)), value) },
  namespace: { text: "string", resolve: defaulted("etcd", checkDnsLabel) },
  createNamespace: { text: "boolean", resolve: resolveCreateNamespace },
  image: { text: "string", resolve: defaulted(DEFAULT_IMAGE, checkImage) },
  /** etcd's default backend quota is 2 GiB; 8 GiB leaves room for the WAL and snapshots. */
  storage: { text: "json", resolve: (value, r) => checkStorage(value, "8Gi", r.out) },
  resources: {
    text: "json",
    resolve: (value, r) =>
      checkResources(value, { requests: { cpu: "100m", memory: "256Mi" } }, r.out),
  },
  antiAffinity: { text: "string", resolve: oneOf<AntiAffinity>("preferred", ANTI_AFFINITIES) },
  pvcPolicy: { text: "string", resolve: oneOf<VolumePolicy>("Delete", VOLUME_POLICIES) },
  clientServiceType: {
    text: "string",
    resolve: oneOf<ClientServiceType>("ClusterIP", CLIENT_SERVICE_TYPES),
  },
  clusterDomain: { text: "string", resolve: defaulted(DEFAULT_CLUSTER_DOMAIN, checkDnsSubdomain) },
  labels: { text: "json", resolve: (value, r) => checkLabels(value, r.out) },
  annotations: { text: "json", resolve: (value, r) => checkAnnotations(value, r.out) },
  access: { text: "string", resolve: oneOf<AccessMode>("port-forward", ACCESS_MODES) },
  endpointTemplate: {
    text: "string",
    resolve: (value, r) => (
      collect(r.out, checkEndpointTemplate(r.key, value, r.before.access)),
      value
    ),
  },
  networkPolicy: { text: "json", resolve: (value, r) => checkNetworkPolicy(value, r.out) },
  snapshots: { text: "json", resolve: (value, r) => checkSnapshots(value, r.out) },
  tls: {
    text: "json",
    resolve: (value, r) => checkTls(value, r.before.clusterName as string, r.out),
  },
  auth: { text: "json", resolve: (value, r) => checkAuth(value, r.out) },
  replaceMembers: { text: "json", resolve: defaulted<string[]>([], checkReplaceMembers) },
} satisfies { [K in keyof EtcdClusterArgs]-?: ConfigField<K> };

/** Validated arguments with every default applied (an absent `endpointTemplate` stays absent). */
export type ClusterSettings = Omit<
  { [K in keyof typeof CONFIG_FIELDS]: ReturnType<(typeof CONFIG_FIELDS)[K]["resolve"]> },
  "endpointTemplate"
> & { endpointTemplate?: string };

type ConfigKey = keyof typeof CONFIG_FIELDS;
export const CONFIG_KEYS = Object.keys(CONFIG_FIELDS) as ConfigKey[];

/**
 * Applies the defaults and checks every value, collecting all violations so that one run shows
 * every mistake. Returns the settings only when there are none.
 */
export function checkClusterArgs(
  args: EtcdClusterArgs,
  resourceName: string,
): { settings?: ClusterSettings; violations: Violation[] } {
  const out: Violation[] = [];
  const before: Resolution["before"] = {};
  for (const key of CONFIG_KEYS) {
    const resolve = CONFIG_FIELDS[key].resolve as (value: unknown, r: Resolution) => unknown;
    const resolved = resolve(args[key], { key, before, resourceName, out });
    if (resolved !== undefined) before[key] = resolved;
  }
  if (out.length > 0) return { violations: out };
  return { settings: before as ClusterSettings, violations: [] };
}

/** `checkClusterArgs` that throws instead: one `ValidationError` listing every violation. */
export function resolveClusterSettings(
  subject: string,
  args: EtcdClusterArgs,
  defaultClusterName: string,
): ClusterSettings {
  const { settings, violations } = checkClusterArgs(args, defaultClusterName);
  if (!settings) throw validationError(subject, violations);
  return settings;
}

/** The part of the settings that names objects and addresses members (see `naming.ts`). */
export const clusterIdentity = (settings: ClusterSettings): ClusterIdentity =>
  identityOf({ ...settings, tls: settings.tls.enabled });
