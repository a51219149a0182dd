/**
 * What an etcd cluster can be asked to be, its defaults, and the one validation every input passes
 * through: the stack config (see `stackConfig.ts`) and direct `EtcdCluster` arguments alike.
 */
import type { ClusterIdentity } from "../naming";
import { type AuthArgs, type AuthSettings, checkAuth } from "./auth";
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
  ValidationError,
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
import {
  type NetworkPolicyArgs,
  type NetworkPolicySettings,
  checkNetworkPolicy,
} from "./networkPolicy";
import {
  type ContainerResources,
  type StorageArgs,
  type StorageSettings,
  checkAnnotations,
  checkLabels,
  checkResources,
  checkStorage,
  collect,
} from "./structuredValues";

import { type SnapshotsArgs, type SnapshotsConfig, checkSnapshots } from "./snapshotRules";
import { type TlsArgs, type TlsSettings, checkTls } from "./tlsRules";

export type { ContainerResources, ResourceQuantities, StorageArgs } from "./structuredValues";
export type { NetworkPolicyArgs, NetworkPolicySettings, TrafficSource } from "./networkPolicy";
export type { SnapshotsArgs, SnapshotsConfig } from "./snapshotRules";
export type { TlsArgs, TlsSecretNames, TlsSettings } from "./tlsRules";
export type { AuthArgs, AuthSettings } from "./auth";

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
  /** A NetworkPolicy limiting who reaches the members (off by default; see README). */
  networkPolicy?: NetworkPolicyArgs;
  /** Safety snapshots before membership changes (on by default). */
  snapshots?: SnapshotsArgs;
  /** Peer and client TLS with mutual authentication (off by default; fixed at creation). */
  tls?: TlsArgs;
  /** etcd authentication with a root user (off by default). */
  auth?: AuthArgs;
  /**
   * Member IDs (hex) to replace with new members on empty volumes (README, Replacing a member).
   * An ID that is no longer a member is skipped, so the list may stay set after the replacement.
   */
  replaceMembers?: string[];
}

/** Validated arguments with every default applied. */
export interface ClusterSettings {
  size: number;
  clusterName: string;
  namespace: string;
  createNamespace: boolean;
  image: string;
  storage: StorageSettings;
  resources: ContainerResources;
  antiAffinity: AntiAffinity;
  pvcPolicy: VolumePolicy;
  clientServiceType: ClientServiceType;
  clusterDomain: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  access: AccessMode;
  endpointTemplate?: string;
  networkPolicy: NetworkPolicySettings;
  snapshots: SnapshotsConfig;
  tls: TlsSettings;
  auth: AuthSettings;
  replaceMembers: string[];
}

export const DEFAULTS = {
  namespace: "etcd",
  createNamespace: true,
  image: "gcr.io/etcd-development/etcd:v3.5.35",
  /** etcd's default backend quota is 2 GiB; leave room for the WAL and snapshots. */
  storageSize: "8Gi",
  resources: { requests: { cpu: "100m", memory: "256Mi" } },
  antiAffinity: "preferred",
  pvcPolicy: "Delete",
  clientServiceType: "ClusterIP",
  clusterDomain: "cluster.local",
  access: "port-forward",
} as const satisfies Partial<Record<keyof ClusterSettings | "storageSize", unknown>>;

/**
 * Applies the defaults and checks every value, collecting all violations so that one run shows
 * every mistake. Returns the settings only when there are none.
 */
export function checkClusterArgs(
  args: EtcdClusterArgs,
  defaultClusterName: string,
): { settings?: ClusterSettings; violations: Violation[] } {
  const out: Violation[] = [];
  const clusterName = args.clusterName ?? defaultClusterName;
  if (collect(out, checkDnsLabel("clusterName", clusterName, MAX_CLUSTER_NAME_LENGTH)))
    collect(out, checkStartsWithLetter("clusterName", clusterName));
  collect(out, checkSize("size", args.size));
  const namespace = args.namespace ?? DEFAULTS.namespace;
  collect(out, checkDnsLabel("namespace", namespace));
  const createNamespace = args.createNamespace ?? DEFAULTS.createNamespace;
  if (collect(out, checkBoolean("createNamespace", createNamespace)))
    if (createNamespace && BUILT_IN_NAMESPACES.includes(namespace))
      out.push(
        violation(
          "createNamespace",
          createNamespace,
          `must be false for namespace ${JSON.stringify(namespace)}, which every cluster already has`,
        ),
      );
  const image = args.image ?? DEFAULTS.image;
  collect(out, checkImage("image", image));
  const storage = checkStorage(args.storage, DEFAULTS.storageSize, out);
  const resources = checkResources(args.resources, DEFAULTS.resources, out);
  const antiAffinity = args.antiAffinity ?? DEFAULTS.antiAffinity;
  collect(out, checkOneOf("antiAffinity", antiAffinity, ANTI_AFFINITIES));
  const pvcPolicy = args.pvcPolicy ?? DEFAULTS.pvcPolicy;
  collect(out, checkOneOf("pvcPolicy", pvcPolicy, VOLUME_POLICIES));
  const clientServiceType = args.clientServiceType ?? DEFAULTS.clientServiceType;
  collect(out, checkOneOf("clientServiceType", clientServiceType, CLIENT_SERVICE_TYPES));
  const clusterDomain = args.clusterDomain ?? DEFAULTS.clusterDomain;
  collect(out, checkDnsSubdomain("clusterDomain", clusterDomain));
  const labels = checkLabels(args.labels, out);
  const annotations = checkAnnotations(args.annotations, out);
  const access = args.access ?? DEFAULTS.access;
  collect(out, checkOneOf("access", access, ACCESS_MODES));
  collect(out, checkEndpointTemplate("endpointTemplate", args.endpointTemplate, access));
  const networkPolicy = checkNetworkPolicy(args.networkPolicy, out);
  const snapshots = checkSnapshots(args.snapshots, out);
  const tls = checkTls(args.tls, clusterName, out);
  const auth = checkAuth(args.auth, out);
  const replaceMembers = args.replaceMembers ?? [];
  collect(out, checkReplaceMembers("replaceMembers", replaceMembers));
  if (out.length > 0) return { violations: out };
  const settings: ClusterSettings = {
    size: args.size,
    clusterName,
    namespace,
    createNamespace,
    image,
    storage,
    resources,
    antiAffinity,
    pvcPolicy,
    clientServiceType,
    clusterDomain,
    labels,
    annotations,
    access,
    networkPolicy,
    snapshots,
    tls,
    auth,
    replaceMembers,
    ...(args.endpointTemplate === undefined ? {} : { endpointTemplate: args.endpointTemplate }),
  };
  return { settings, violations: [] };
}

/** `checkClusterArgs` that throws instead: one `ValidationError` listing every violation. */
export function resolveClusterSettings(
  subject: string,
  args: EtcdClusterArgs,
  defaultClusterName: string,
): ClusterSettings {
  const { settings, violations } = checkClusterArgs(args, defaultClusterName);
  if (!settings) throw new ValidationError(subject, violations);
  return settings;
}

/** The part of the settings that names objects and addresses members (see `naming.ts`). */
export const clusterIdentity = (settings: ClusterSettings): ClusterIdentity => ({
  name: settings.clusterName,
  namespace: settings.namespace,
  clusterDomain: settings.clusterDomain,
  ...(settings.tls.enabled ? { tls: true } : {}),
});
