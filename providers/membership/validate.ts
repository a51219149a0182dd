/**
 * `check`'s validation: the shared rules (same messages as the stack config), skipping values the
 * engine does not know yet in preview.
 */
import {
  ACCESS_MODES,
  MAX_CLUSTER_NAME_LENGTH,
  VOLUME_POLICIES,
  type Violation,
  checkDnsLabel,
  checkDnsSubdomain,
  checkOneOf,
  checkReplaceMembers,
  checkSize,
  violation,
} from "../../model/config/rules";
import { checkRootPassword } from "../../model/config/authRules";
import { checkSnapshotsDirectory, checkSnapshotsKeep } from "../../model/config/snapshotRules";

/** What an input the engine cannot know yet (preview) looks like to a dynamic provider. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const isUnknown = (value: unknown): boolean => value === UNKNOWN;

const ENDPOINT_TEMPLATE = /^https?:\/\/[^\s]*\{(ordinal|name)\}[^\s]*$/;

function checkEndpointTemplate(news: Record<string, unknown>): Violation | undefined {
  const value = news.endpointTemplate;
  if (news.access === "endpoints" && value === undefined)
    return violation(
      "endpointTemplate",
      value,
      'must be set when access is "endpoints": one client URL per member with {ordinal} or {name}, e.g. "https://{name}.etcd.example.com:2379"',
    );
  if (value !== undefined && (typeof value !== "string" || !ENDPOINT_TEMPLATE.test(value)))
    return violation(
      "endpointTemplate",
      value,
      'must be an http:// or https:// URL containing {ordinal} or {name}, e.g. "https://{name}.etcd.example.com:2379"',
    );
  return undefined;
}

function checkOwner(value: unknown): Violation | undefined {
  if (typeof value !== "string" || value.trim() === "" || value.length > 253)
    return violation(
      "owner",
      value,
      'must name who manages the cluster, e.g. "etcd-k8s/prod/etcd" (1 to 253 characters)',
    );
  return undefined;
}

function checkKubeconfig(value: unknown): Violation | undefined {
  if (value !== undefined && (typeof value !== "string" || value.trim() === ""))
    return violation(
      "kubeconfig",
      "(redacted)",
      "must be the text of a kubeconfig file, or left out",
    );
  return undefined;
}

/** The resolved `snapshots` input: an absolute directory and a count, or absent. */
function checkSnapshotsInput(value: unknown): Violation[] {
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
function checkTlsInput(value: unknown): Violation | undefined {
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

export function validateInputs(news: Record<string, unknown>): Violation[] {
  const known = (key: string, rule: () => Violation | undefined) =>
    isUnknown(news[key]) ? undefined : rule();
  return [
    known("clusterName", () =>
      checkDnsLabel("clusterName", news.clusterName, MAX_CLUSTER_NAME_LENGTH),
    ),
    known("namespace", () => checkDnsLabel("namespace", news.namespace)),
    known("owner", () => checkOwner(news.owner)),
    news.replaceMembers === undefined
      ? undefined
      : known("replaceMembers", () => checkReplaceMembers("replaceMembers", news.replaceMembers)),
    known("clusterDomain", () => checkDnsSubdomain("clusterDomain", news.clusterDomain)),
    known("size", () => checkSize("size", news.size)),
    known("volumePolicy", () => checkOneOf("volumePolicy", news.volumePolicy, VOLUME_POLICIES)),
    known("access", () => checkOneOf("access", news.access, ACCESS_MODES)),
    isUnknown(news.access)
      ? undefined
      : known("endpointTemplate", () => checkEndpointTemplate(news)),
    known("kubeconfig", () => checkKubeconfig(news.kubeconfig)),
    known("tls", () => checkTlsInput(news.tls)),
    news.rootPassword === undefined
      ? undefined
      : known("rootPassword", () => checkRootPassword("rootPassword", news.rootPassword)),
  ]
    .filter((v): v is Violation => v !== undefined)
    .concat(isUnknown(news.snapshots) ? [] : checkSnapshotsInput(news.snapshots));
}
