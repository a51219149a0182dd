/**
 * Rules for the inputs only the membership resource has: the component resolves them from the
 * stack config (whose own rules check the values given there), so these check the resolved form.
 */
import { type Violation, checkDnsSubdomain, violation } from "../config/rules";
import { checkSnapshotsDirectory, checkSnapshotsKeep } from "../config/snapshotRules";
import { isUnknown } from "./unknown";

export function checkOwner(value: unknown): Violation | undefined {
  if (typeof value !== "string" || value.trim() === "" || value.length > 253)
    return violation(
      "owner",
      value,
      'must name who manages the cluster, e.g. "etcd-k8s/prod/etcd" (1 to 253 characters)',
    );
  return undefined;
}

export function checkKubeconfig(value: unknown): Violation | undefined {
  if (value !== undefined && (typeof value !== "string" || value.trim() === ""))
    return violation(
      "kubeconfig",
      "(redacted)",
      "must be the text of a kubeconfig file, or left out",
    );
  return undefined;
}

/** The resolved `snapshots` input: an absolute directory and a count, or absent. */
export function checkSnapshotsInput(value: unknown): Violation[] {
  if (value === undefined) return [];
  if (typeof value !== "object" || value === null)
    return [
      violation("snapshots", value, 'must be {"directory": <absolute path>, "keep": <1-100>}'),
    ];
  const { directory, keep } = value as Record<string, unknown>;
  return [
    isUnknown(directory)
      ? undefined
      : checkSnapshotsDirectory("snapshots.directory", directory, true),
    isUnknown(keep) ? undefined : checkSnapshotsKeep("snapshots.keep", keep),
  ].filter((v): v is Violation => v !== undefined);
}

/** Only a Secret's name: key material never passes through the inputs. */
export function checkTlsInput(value: unknown): Violation | undefined {
  if (value === undefined) return undefined;
  const clientSecret = (value as Record<string, unknown> | null)?.clientSecret;
  if (isUnknown(clientSecret)) return undefined;
  const keys = typeof value === "object" && value !== null ? Object.keys(value) : [];
  if (keys.length !== 1 || checkDnsSubdomain("tls.clientSecret", clientSecret) !== undefined)
    return violation(
      "tls",
      value,
      'must be {"clientSecret": <name of a kubernetes.io/tls Secret in the cluster\'s namespace>}, or left out for plain http',
    );
  return undefined;
}
