/**
 * The validation rules shared by the stack config (refused before any resource is registered) and
 * the membership provider's `check` (refused before any change), so both say exactly the same
 * thing. Pure and dependency-free: the provider is serialized together with this module.
 */
import { hasErrorName, namedError } from "../errors";

/** One refused value: which key, what it was, and what would have been accepted. */
export interface Violation {
  key: string;
  value: unknown;
  allowed: string;
  message: string;
}

export const MIN_SIZE = 1;
export const MAX_SIZE = 9;
/**
 * StatefulSet names above 52 characters break the `controller-revision-hash` pod label (63 max);
 * Kubernetes documents the same limit.
 */
export const MAX_CLUSTER_NAME_LENGTH = 52;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** Kubernetes resource.Quantity: a decimal number with an optional binary, decimal or exponent suffix. */
const QUANTITY =
  /^[+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?$/;

export function describeValue(value: unknown): string {
  if (value === undefined) return "(missing)";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || value === null)
    return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

export function violation(key: string, value: unknown, allowed: string): Violation {
  return {
    key,
    value,
    allowed,
    message: `${key}: ${describeValue(value)} is not allowed; ${allowed}`,
  };
}

export function checkSize(key: string, value: unknown): Violation | undefined {
  const allowed = `must be a whole number from ${MIN_SIZE} to ${MAX_SIZE} (odd sizes tolerate the most failures per member)`;
  if (typeof value !== "number" || !Number.isInteger(value) || value < MIN_SIZE || value > MAX_SIZE)
    return violation(key, value, allowed);
  return undefined;
}

export function checkDnsLabel(key: string, value: unknown, maxLength = 63): Violation | undefined {
  const allowed = `must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most ${maxLength} characters`;
  if (typeof value !== "string" || value.length > maxLength || !DNS1123_LABEL.test(value))
    return violation(key, value, allowed);
  return undefined;
}

export function checkDnsSubdomain(key: string, value: unknown): Violation | undefined {
  const allowed =
    "must be a DNS-1123 subdomain: dot-separated lowercase labels of letters, digits and '-', at most 253 characters";
  if (typeof value !== "string" || value.length > 253 || !DNS1123_SUBDOMAIN.test(value))
    return violation(key, value, allowed);
  return undefined;
}

export function checkQuantity(key: string, value: unknown): Violation | undefined {
  const allowed =
    'must be a Kubernetes quantity such as "1Gi", "500Mi", "250m" or "2" (number, optional suffix Ki Mi Gi Ti Pi Ei m k M G T P E)';
  if (typeof value !== "string" || !QUANTITY.test(value)) return violation(key, value, allowed);
  return undefined;
}

export function checkOneOf<T extends string>(
  key: string,
  value: unknown,
  choices: readonly T[],
): Violation | undefined {
  if (typeof value !== "string" || !(choices as readonly string[]).includes(value))
    return violation(key, value, `must be one of ${choices.map((c) => `"${c}"`).join(", ")}`);
  return undefined;
}

export function checkBoolean(key: string, value: unknown): Violation | undefined {
  if (typeof value !== "boolean") return violation(key, value, "must be true or false");
  return undefined;
}

/** A member ID as etcdctl and the `memberStatus` output print it. */
const MEMBER_ID = /^[0-9a-f]{1,16}$/;

/** Members to replace, by ID: an ID names one member for ever, so a kept list stays harmless. */
export function checkReplaceMembers(key: string, value: unknown): Violation | undefined {
  const ok =
    Array.isArray(value) &&
    value.length <= MAX_SIZE &&
    value.every((id) => typeof id === "string" && MEMBER_ID.test(id)) &&
    new Set(value).size === value.length;
  if (ok) return undefined;
  return violation(
    key,
    value,
    `must be a list of at most ${MAX_SIZE} distinct member IDs in lower-case hex, as the memberStatus output and etcdctl show them (e.g. ["8e9e05c52164694d"])`,
  );
}

/**
 * What happens to a removed member's volume: deleted at once, or kept until its ordinal returns.
 * Named after the StatefulSet's `whenScaled` PVC retention values, which it also sets.
 */
export const VOLUME_POLICIES = ["Delete", "Retain"] as const;
export type VolumePolicy = (typeof VOLUME_POLICIES)[number];
/** How the membership provider reaches etcd (docs/operations.md, "Reaching etcd"). */
export const ACCESS_MODES = ["port-forward", "pod-ip", "endpoints"] as const;
export type AccessMode = (typeof ACCESS_MODES)[number];

export const VALIDATION_ERROR = "ValidationError";

/** Thrown when input is refused; lists every violation so one run shows every mistake. */
export type ValidationError = Error & { subject: string; violations: Violation[] };

export function validationError(subject: string, violations: Violation[]): ValidationError {
  const list = violations.map((v) => v.message).join("\n  - ");
  return namedError(
    VALIDATION_ERROR,
    `${subject}: ${violations.length} invalid value(s):\n  - ${list}`,
    { subject, violations },
  );
}

export const isValidationError = (error: unknown): error is ValidationError =>
  hasErrorName(error, VALIDATION_ERROR);
