/**
 * Rules for values that end up in Kubernetes objects (names, labels, quantities, the image) and for
 * how the membership provider reaches etcd. Pure and dependency-free like `rules.ts`, so the
 * provider's `check` can use the same rules and say exactly the same thing.
 */
import { type Violation, checkDnsSubdomain, violation } from "./rules";

const DNS1035_START = /^[a-z]/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUANTITY_PARTS =
  /^[+]?([0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E)|[eE]([+-]?[0-9]+))?$/;
const QUANTITY_SUFFIX: Record<string, number> = {
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
/** Docker reference grammar: [registry[:port]/]path[:tag][@sha256:digest]. */
const IMAGE_REFERENCE =
  /^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::([\w][\w.-]{0,127}))?(@sha256:[a-f0-9]{64})?$/;
const ETCD_VERSION_TAG = /^v?(\d+)\.(\d+)\.(\d+)/;

/** `/livez` and `/readyz`, which the probes use, exist from etcd 3.5.11 on. */
export const MIN_ETCD_VERSION: readonly [number, number, number] = [3, 5, 11];

/** Labels the component sets itself: its selector, which must not change under a running cluster. */
export const RESERVED_LABELS = [
  "app.kubernetes.io/name",
  "app.kubernetes.io/instance",
  "app.kubernetes.io/managed-by",
] as const;

/** Namespaces that exist in every cluster, so creating them would fail. */
export const BUILT_IN_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];

/**
 * Service names are DNS-1035 labels, and the Services are named after the cluster; run after
 * `checkDnsLabel`, which covers length and characters.
 */
export function checkStartsWithLetter(key: string, value: string): Violation | undefined {
  if (!DNS1035_START.test(value))
    return violation(
      key,
      value,
      "must start with a letter: the Services named after the cluster must be DNS-1035 labels",
    );
  return undefined;
}

/** The value of a Kubernetes quantity in base units, or undefined when it does not parse. */
export function quantityValue(quantity: string): number | undefined {
  const parts = QUANTITY_PARTS.exec(quantity);
  if (!parts) return undefined;
  const [, number, suffix, exponent] = parts;
  if (exponent !== undefined) return Number(`${number}e${exponent}`);
  return Number(number) * (suffix === undefined ? 1 : QUANTITY_SUFFIX[suffix]);
}

/** For quantities that already passed `checkQuantity`. */
export function checkPositiveQuantity(key: string, value: string): Violation | undefined {
  const parsed = quantityValue(value);
  if (parsed === undefined || parsed <= 0)
    return violation(key, value, "must be greater than zero");
  return undefined;
}

/** Kubernetes refuses a container whose request exceeds its limit; say so before anything is applied. */
export function checkRequestWithinLimit(
  key: string,
  request: string,
  limit: string,
): Violation | undefined {
  const requested = quantityValue(request);
  const limited = quantityValue(limit);
  if (requested !== undefined && limited !== undefined && requested > limited)
    return violation(key, request, `must not exceed the limit ${JSON.stringify(limit)}`);
  return undefined;
}

const LABEL_KEY_ALLOWED =
  "keys must be a name of at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, optionally after a DNS subdomain prefix and '/' (e.g. example.com/team)";

/** Label and annotation keys share one syntax: `[prefix/]name`. */
export function checkMetadataKey(mapKey: string, key: string): Violation | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const prefixOk = prefix === undefined || checkDnsSubdomain(mapKey, prefix) === undefined;
  if (!prefixOk || name.length > 63 || !QUALIFIED_NAME.test(name))
    return violation(mapKey, key, LABEL_KEY_ALLOWED);
  return undefined;
}

export function checkLabelValue(key: string, value: unknown): Violation | undefined {
  if (typeof value !== "string" || value.length > 63 || !LABEL_VALUE.test(value))
    return violation(
      key,
      value,
      "label values must be a string of at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, or empty",
    );
  return undefined;
}

export function checkReservedLabel(mapKey: string, key: string): Violation | undefined {
  if ((RESERVED_LABELS as readonly string[]).includes(key))
    return violation(
      mapKey,
      key,
      `the component sets ${RESERVED_LABELS.join(", ")} itself to select its pods; use another key`,
    );
  return undefined;
}

export function checkAnnotationValue(key: string, value: unknown): Violation | undefined {
  if (typeof value !== "string") return violation(key, value, "annotation values must be strings");
  return undefined;
}

function olderThan(version: readonly number[], minimum: readonly number[]): boolean {
  for (let i = 0; i < minimum.length; i++)
    if (version[i] !== minimum[i]) return version[i] < minimum[i];
  return false;
}

/**
 * A pinned image reference. When the tag reads as an etcd version it must be new enough for the
 * probes; a digest or a custom tag cannot be checked and is the user's responsibility.
 */
export function checkImage(key: string, value: unknown): Violation | undefined {
  const reference = typeof value === "string" ? IMAGE_REFERENCE.exec(value) : null;
  if (!reference)
    return violation(
      key,
      value,
      'must be an image reference such as "gcr.io/etcd-development/etcd:v3.5.35"',
    );
  const [, tag, digest] = reference;
  if ((tag === undefined || tag === "latest") && digest === undefined)
    return violation(
      key,
      value,
      'must be pinned: give a version tag (e.g. ":v3.5.35") or an "@sha256:" digest, never "latest"',
    );
  const version = tag === undefined ? null : ETCD_VERSION_TAG.exec(tag);
  if (version && olderThan(version.slice(1).map(Number), MIN_ETCD_VERSION))
    return violation(
      key,
      value,
      `must be etcd ${MIN_ETCD_VERSION.join(".")} or newer: the probes use /livez and /readyz (3.5.19 or newer also keeps a learner out of the client Service)`,
    );
  return undefined;
}

const ENDPOINT_TEMPLATE_EXAMPLE = '"https://{name}.etcd.example.com:2379"';

/** `endpointTemplate` is required exactly when `access` is `endpoints`. */
export function checkEndpointTemplate(
  key: string,
  template: unknown,
  access: unknown,
): Violation | undefined {
  if (access !== "endpoints") {
    if (template === undefined) return undefined;
    return violation(
      key,
      template,
      `only used when access is "endpoints" (access is ${JSON.stringify(access)}); remove it or set access to "endpoints"`,
    );
  }
  const allowed = `must be an http:// or https:// client URL containing {ordinal} or {name}, e.g. ${ENDPOINT_TEMPLATE_EXAMPLE}; required when access is "endpoints"`;
  if (typeof template !== "string" || !/\{ordinal\}|\{name\}/.test(template))
    return violation(key, template, allowed);
  try {
    const url = new URL(template.replaceAll("{ordinal}", "0").replaceAll("{name}", "etcd-0"));
    if (url.protocol !== "http:" && url.protocol !== "https:")
      return violation(key, template, allowed);
  } catch {
    return violation(key, template, allowed);
  }
  return undefined;
}
