/**
 * Checks of the structured arguments (storage, resources, labels, annotations): each must be a map
 * with known keys only, holding values Kubernetes accepts.
 */
import {
  checkAnnotationValue,
  checkLabelValue,
  checkMetadataKey,
  checkPositiveQuantity,
  checkRequestWithinLimit,
  checkReservedLabel,
} from "./kubernetesRules";
import { type Violation, checkDnsSubdomain, checkQuantity, violation } from "./rules";

/** A type alias rather than an interface, so it fits Kubernetes' string-keyed quantity maps. */
export type ResourceQuantities = {
  cpu?: string;
  memory?: string;
};

export interface ContainerResources {
  requests?: ResourceQuantities;
  limits?: ResourceQuantities;
}

export interface StorageSettings {
  size: string;
  className?: string;
}

export interface StorageArgs {
  /** Volume size per member, a Kubernetes quantity. */
  size?: string;
  /** StorageClass of the volumes; the cluster's default class when absent. */
  className?: string;
}

export const STORAGE_KEYS = ["size", "className"] as const;
export const RESOURCE_KINDS = ["requests", "limits"] as const;
export const RESOURCE_NAMES = ["cpu", "memory"] as const;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** A map argument: absent is empty, anything but an object is refused. */
export function checkMap(
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

export function checkKnownKeys(
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

/** Adds a found violation to `out`; true when there was none, so dependent checks can follow. */
export const collect = (out: Violation[], found: Violation | undefined): boolean => {
  if (found) out.push(found);
  return found === undefined;
};

export function checkStorage(
  value: unknown,
  defaultSize: string,
  out: Violation[],
): StorageSettings {
  const storage = checkMap("storage", value, '{"size": "8Gi", "className": "ssd"}', out);
  checkKnownKeys("storage", storage, STORAGE_KEYS, out);
  const size = asQuantity(storage.size ?? defaultSize);
  if (collect(out, checkQuantity("storage.size", size)))
    collect(out, checkPositiveQuantity("storage.size", size as string));
  const className = storage.className;
  if (className !== undefined) collect(out, checkDnsSubdomain("storage.className", className));
  return {
    size: size as string,
    ...(className === undefined ? {} : { className: className as string }),
  };
}

/** `value` replaces the defaults as a whole. */
export function checkResources(
  value: unknown,
  defaults: ContainerResources,
  out: Violation[],
): ContainerResources {
  if (value === undefined) return defaults;
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
      if (collect(out, checkQuantity(`resources.${kind}.${name}`, quantity)))
        quantities[name] = quantity as string;
    }
    if (resources[kind] !== undefined) checked[kind] = quantities;
  }
  for (const name of RESOURCE_NAMES) {
    const [request, limit] = [checked.requests?.[name], checked.limits?.[name]];
    if (request !== undefined && limit !== undefined)
      collect(out, checkRequestWithinLimit(`resources.requests.${name}`, request, limit));
  }
  return checked;
}

export function checkLabels(value: unknown, out: Violation[]): Record<string, string> {
  const labels = checkMap("labels", value, '{"team": "platform"}', out);
  for (const [key, labelValue] of Object.entries(labels)) {
    if (collect(out, checkMetadataKey("labels", key)))
      collect(out, checkReservedLabel("labels", key));
    collect(out, checkLabelValue(`labels[${JSON.stringify(key)}]`, labelValue));
  }
  return labels as Record<string, string>;
}

export function checkAnnotations(value: unknown, out: Violation[]): Record<string, string> {
  const annotations = checkMap("annotations", value, '{"example.com/owner": "platform"}', out);
  for (const [key, annotation] of Object.entries(annotations)) {
    collect(out, checkMetadataKey("annotations", key));
    collect(out, checkAnnotationValue(`annotations[${JSON.stringify(key)}]`, annotation));
  }
  return annotations as Record<string, string>;
}
