/**
 * What an etcd cluster can be asked to be, its defaults, and the one validation every input passes
 * through: the stack config (see `stackConfig.ts`) and direct `EtcdCluster` arguments alike.
 */
import {
  ACCESS_MODES,
  VOLUME_POLICIES,
  ValidationError,
  type Violation,
  checkBoolean,
  checkDnsLabel,
  checkDnsSubdomain,
  checkOneOf,
  checkQuantity,
  checkSize,
  MAX_CLUSTER_NAME_LENGTH,
  violation,
} from "./rules";
import {
  BUILT_IN_NAMESPACES,
  checkAnnotationValue,
  checkEndpointTemplate,
  checkImage,
  checkLabelValue,
  checkMetadataKey,
  checkPositiveQuantity,
  checkRequestWithinLimit,
  checkReservedLabel,
  checkStartsWithLetter,
} from "./kubernetesRules";
import type { ClusterIdentity } from "../naming";

export const ANTI_AFFINITIES = ["preferred", "required", "none"] as const;
export const CLIENT_SERVICE_TYPES = ["ClusterIP", "NodePort", "LoadBalancer"] as const;

export type AntiAffinity = (typeof ANTI_AFFINITIES)[number];
export type ClientServiceType = (typeof CLIENT_SERVICE_TYPES)[number];
export type VolumePolicy = (typeof VOLUME_POLICIES)[number];
export type AccessMode = (typeof ACCESS_MODES)[number];

/** A type alias rather than an interface, so it fits Kubernetes' string-keyed quantity maps. */
export type ResourceQuantities = {
  cpu?: string;
  memory?: string;
};

export interface ContainerResources {
  requests?: ResourceQuantities;
  limits?: ResourceQuantities;
}

export interface StorageArgs {
  /** Volume size per member, a Kubernetes quantity. */
  size?: string;
  /** StorageClass of the volumes; the cluster's default class when absent. */
  className?: string;
}

/**
 * Plain values rather than `pulumi.Input`s: every one of them names an object or must be checked
 * before the first resource is registered.
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
}

/** Validated arguments with every default applied. */
export interface ClusterSettings {
  size: number;
  clusterName: string;
  namespace: string;
  createNamespace: boolean;
  image: string;
  storage: { size: string; className?: string };
  resources: ContainerResources;
  antiAffinity: AntiAffinity;
  pvcPolicy: VolumePolicy;
  clientServiceType: ClientServiceType;
  clusterDomain: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  access: AccessMode;
  endpointTemplate?: string;
}

export const DEFAULT_IMAGE = "gcr.io/etcd-development/etcd:v3.5.35";

export const DEFAULTS = {
  namespace: "etcd",
  createNamespace: true,
  image: DEFAULT_IMAGE,
  /** etcd's default backend quota is 2 GiB; leave room for the WAL and snapshots. */
  storageSize: "8Gi",
  resources: { requests: { cpu: "100m", memory: "256Mi" } },
  antiAffinity: "preferred",
  pvcPolicy: "Delete",
  clientServiceType: "ClusterIP",
  clusterDomain: "cluster.local",
  access: "port-forward",
} as const satisfies Partial<Record<keyof ClusterSettings | "storageSize", unknown>>;

export const STORAGE_KEYS = ["size", "className"] as const;
export const RESOURCE_KINDS = ["requests", "limits"] as const;
export const RESOURCE_NAMES = ["cpu", "memory"] as const;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A map argument: absent is empty, anything but an object is refused. */
function checkMap(
  key: string,
  value: unknown,
  example: string,
  out: Violation[],
): Record<string, unknown> {
  if (value === undefined) return {};
  if (isRecord(value)) return value;
  out.push(violation(key, value, `must be a map such as ${example}`));
  return {};
}

function checkKnownKeys(
  key: string,
  value: Record<string, unknown>,
  known: readonly string[],
  out: Violation[],
): void {
  for (const field of Object.keys(value))
    if (!known.includes(field))
      out.push(
        violation(`${key}.${field}`, value[field], `unknown key; ${key} takes ${known.join(", ")}`),
      );
}

/** YAML and JSON read `cpu: 1` as a number; Kubernetes takes it as the quantity "1" too. */
const asQuantity = (value: unknown): unknown =>
  typeof value === "number" && Number.isFinite(value) ? String(value) : value;

const push = (out: Violation[], found: Violation | undefined): boolean => {
  if (found) out.push(found);
  return found === undefined;
};

function checkStorage(value: unknown, out: Violation[]): ClusterSettings["storage"] {
  const storage = checkMap("storage", value, '{"size": "8Gi", "className": "ssd"}', out);
  checkKnownKeys("storage", storage, STORAGE_KEYS, out);
  const size = asQuantity(storage.size ?? DEFAULTS.storageSize);
  if (push(out, checkQuantity("storage.size", size)))
    push(out, checkPositiveQuantity("storage.size", size as string));
  const className = storage.className;
  if (className !== undefined) push(out, checkDnsSubdomain("storage.className", className));
  return {
    size: size as string,
    ...(className === undefined ? {} : { className: className as string }),
  };
}

function checkResources(value: unknown, out: Violation[]): ContainerResources {
  if (value === undefined) return DEFAULTS.resources;
  const example = '{"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}}';
  const resources = checkMap("resources", value, example, out);
  checkKnownKeys("resources", resources, RESOURCE_KINDS, out);
  const checked: ContainerResources = {};
  for (const kind of RESOURCE_KINDS) {
    const given = checkMap(`resources.${kind}`, resources[kind], example, out);
    checkKnownKeys(`resources.${kind}`, given, RESOURCE_NAMES, out);
    const quantities: ResourceQuantities = {};
    for (const name of RESOURCE_NAMES) {
      if (given[name] === undefined) continue;
      const quantity = asQuantity(given[name]);
      if (push(out, checkQuantity(`resources.${kind}.${name}`, quantity)))
        quantities[name] = quantity as string;
    }
    if (resources[kind] !== undefined) checked[kind] = quantities;
  }
  for (const name of RESOURCE_NAMES) {
    const [request, limit] = [checked.requests?.[name], checked.limits?.[name]];
    if (request !== undefined && limit !== undefined)
      push(out, checkRequestWithinLimit(`resources.requests.${name}`, request, limit));
  }
  return checked;
}

function checkLabels(value: unknown, out: Violation[]): Record<string, string> {
  const labels = checkMap("labels", value, '{"team": "platform"}', out);
  for (const [key, labelValue] of Object.entries(labels)) {
    if (push(out, checkMetadataKey("labels", key))) push(out, checkReservedLabel("labels", key));
    push(out, checkLabelValue(`labels[${JSON.stringify(key)}]`, labelValue));
  }
  return labels as Record<string, string>;
}

function checkAnnotations(value: unknown, out: Violation[]): Record<string, string> {
  const annotations = checkMap("annotations", value, '{"example.com/owner": "platform"}', out);
  for (const [key, annotation] of Object.entries(annotations)) {
    push(out, checkMetadataKey("annotations", key));
    push(out, checkAnnotationValue(`annotations[${JSON.stringify(key)}]`, annotation));
  }
  return annotations as Record<string, string>;
}

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
  if (push(out, checkDnsLabel("clusterName", clusterName, MAX_CLUSTER_NAME_LENGTH)))
    push(out, checkStartsWithLetter("clusterName", clusterName));
  push(out, checkSize("size", args.size));
  const namespace = args.namespace ?? DEFAULTS.namespace;
  push(out, checkDnsLabel("namespace", namespace));
  const createNamespace = args.createNamespace ?? DEFAULTS.createNamespace;
  if (push(out, checkBoolean("createNamespace", createNamespace)))
    if (createNamespace && BUILT_IN_NAMESPACES.includes(namespace))
      out.push(
        violation(
          "createNamespace",
          createNamespace,
          `must be false for namespace ${JSON.stringify(namespace)}, which every cluster already has`,
        ),
      );
  const image = args.image ?? DEFAULTS.image;
  push(out, checkImage("image", image));
  const storage = checkStorage(args.storage, out);
  const resources = checkResources(args.resources, out);
  const antiAffinity = args.antiAffinity ?? DEFAULTS.antiAffinity;
  push(out, checkOneOf("antiAffinity", antiAffinity, ANTI_AFFINITIES));
  const pvcPolicy = args.pvcPolicy ?? DEFAULTS.pvcPolicy;
  push(out, checkOneOf("pvcPolicy", pvcPolicy, VOLUME_POLICIES));
  const clientServiceType = args.clientServiceType ?? DEFAULTS.clientServiceType;
  push(out, checkOneOf("clientServiceType", clientServiceType, CLIENT_SERVICE_TYPES));
  const clusterDomain = args.clusterDomain ?? DEFAULTS.clusterDomain;
  push(out, checkDnsSubdomain("clusterDomain", clusterDomain));
  const labels = checkLabels(args.labels, out);
  const annotations = checkAnnotations(args.annotations, out);
  const access = args.access ?? DEFAULTS.access;
  push(out, checkOneOf("access", access, ACCESS_MODES));
  push(out, checkEndpointTemplate("endpointTemplate", args.endpointTemplate, access));
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
    ...(args.endpointTemplate === undefined ? {} : { endpointTemplate: args.endpointTemplate }),
  };
  return { settings, violations: [] };
}

/** `checkClusterArgs` for callers that stop at the first refusal: throws every violation at once. */
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
});
