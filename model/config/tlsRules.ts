/**
 * The `tls` setting: peer and client TLS with mutual authentication, the certificates either issued
 * by cert-manager against a configured Issuer or taken from Secrets the user provides. Off unless
 * asked for; fixed once the cluster exists (every peer URL's scheme depends on it).
 */
import { type Violation, checkDnsSubdomain, checkOneOf, violation } from "./rules";
import { checkKnownKeys, checkMap, collect } from "./structuredValues";

export const TLS_SOURCES = ["cert-manager", "secrets"] as const;
export const ISSUER_KINDS = ["Issuer", "ClusterIssuer"] as const;
export const TLS_KEYS = [
  "enabled",
  "source",
  "issuer",
  "secrets",
  "duration",
  "renewBefore",
] as const;
export const ISSUER_KEYS = ["name", "kind"] as const;
/** server: the client-facing listener; peer: member to member; client: the membership provider. */
export const TLS_SECRET_ROLES = ["server", "peer", "client"] as const;

export type TlsSource = (typeof TLS_SOURCES)[number];
export type IssuerKind = (typeof ISSUER_KINDS)[number];
export type TlsSecretRole = (typeof TLS_SECRET_ROLES)[number];
/** Names of `kubernetes.io/tls` Secrets in the cluster's namespace, each with tls.crt, tls.key, ca.crt. */
export type TlsSecretNames = Record<TlsSecretRole, string>;

export interface TlsArgs {
  enabled?: boolean;
  /** Default `cert-manager`. */
  source?: TlsSource;
  /** With cert-manager: the issuer that signs all three certificates (kind default `Issuer`). */
  issuer?: { name?: string; kind?: IssuerKind };
  /** Required with source `secrets`; with cert-manager, the Secrets it writes (default `<cluster>-<role>-tls`). */
  secrets?: Partial<TlsSecretNames>;
  /** With cert-manager: each certificate's lifetime, a Go duration (cert-manager's default when absent: 90 days). */
  duration?: string;
  /** With cert-manager: how long before expiry it is renewed (cert-manager's default when absent: a third of the lifetime). */
  renewBefore?: string;
}

export type TlsSettings =
  | { enabled: false }
  | {
      enabled: true;
      source: "cert-manager";
      issuer: { name: string; kind: IssuerKind };
      secrets: TlsSecretNames;
      /** Absent: cert-manager's default. */
      duration?: string;
      renewBefore?: string;
    }
  | { enabled: true; source: "secrets"; secrets: TlsSecretNames };

export const TLS_DEFAULTS = {
  enabled: false,
  source: "cert-manager",
  issuerKind: "Issuer",
} as const;

/** The Secret cert-manager writes for one role when `tls.secrets` does not name it. */
export const defaultTlsSecretName = (clusterName: string, role: TlsSecretRole): string =>
  `${clusterName}-${role}-tls`;

/** `pulumi config set --path tls.enabled true` may store the text "true". */
const asBoolean = (v: unknown): unknown => (v === "true" ? true : v === "false" ? false : v);

function checkSecretNames(
  given: Record<string, unknown>,
  source: unknown,
  clusterName: string,
  out: Violation[],
): TlsSecretNames {
  const example = `{"server": "${clusterName}-server-tls", "peer": "${clusterName}-peer-tls", "client": "${clusterName}-client-tls"}`;
  const secrets = checkMap("tls.secrets", given.secrets, example, out);
  checkKnownKeys("tls.secrets", secrets, TLS_SECRET_ROLES, out);
  const names = {} as TlsSecretNames;
  for (const role of TLS_SECRET_ROLES) {
    const key = `tls.secrets.${role}`;
    const value = secrets[role];
    if (value === undefined && source === "secrets")
      out.push(
        violation(
          key,
          value,
          `must name a kubernetes.io/tls Secret (keys tls.crt, tls.key, ca.crt) in the cluster's namespace when tls.source is "secrets"`,
        ),
      );
    else if (value !== undefined) collect(out, checkDnsSubdomain(key, value));
    names[role] = typeof value === "string" ? value : defaultTlsSecretName(clusterName, role);
  }
  return names;
}

function checkIssuer(
  given: Record<string, unknown>,
  out: Violation[],
): { name: string; kind: IssuerKind } {
  const issuer = checkMap("tls.issuer", given.issuer, '{"name": "etcd-ca", "kind": "Issuer"}', out);
  checkKnownKeys("tls.issuer", issuer, ISSUER_KEYS, out);
  if (issuer.name === undefined)
    out.push(
      violation(
        "tls.issuer.name",
        issuer.name,
        'must name the cert-manager Issuer or ClusterIssuer that signs the certificates when tls.source is "cert-manager"',
      ),
    );
  else collect(out, checkDnsSubdomain("tls.issuer.name", issuer.name));
  const kind = issuer.kind ?? TLS_DEFAULTS.issuerKind;
  collect(out, checkOneOf("tls.issuer.kind", kind, ISSUER_KINDS));
  return { name: issuer.name as string, kind: kind as IssuerKind };
}

/** A Go duration as cert-manager's `spec.duration` takes it, in hours, minutes and seconds: `2160h`, `1h30m`, `90s`. */
const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:h|m|s))+$/;
const DURATION_UNITS_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1_000 };

function durationMs(text: string): number {
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(h|m|s)/g))
    total += Number(amount) * DURATION_UNITS_MS[unit];
  return total;
}

/** `tls.duration` and `tls.renewBefore`: Go durations, renewBefore shorter than the duration. */
function checkLifetime(
  given: Record<string, unknown>,
  source: unknown,
  out: Violation[],
): { duration?: string; renewBefore?: string } {
  const result: { duration?: string; renewBefore?: string } = {};
  for (const key of ["duration", "renewBefore"] as const) {
    const value = given[key];
    if (value === undefined) continue;
    if (source !== "cert-manager") {
      out.push(
        violation(
          `tls.${key}`,
          value,
          'is used only with tls.source "cert-manager"; certificates from Secrets are renewed by whoever writes them',
        ),
      );
      continue;
    }
    if (typeof value !== "string" || !GO_DURATION.test(value) || durationMs(value) <= 0) {
      out.push(
        violation(
          `tls.${key}`,
          value,
          'must be a positive Go duration in hours, minutes and seconds, e.g. "2160h", "1h30m", "90s"',
        ),
      );
      continue;
    }
    result[key] = value;
  }
  if (
    result.duration !== undefined &&
    result.renewBefore !== undefined &&
    durationMs(result.renewBefore) >= durationMs(result.duration)
  )
    out.push(
      violation(
        "tls.renewBefore",
        result.renewBefore,
        `must be shorter than tls.duration (${result.duration})`,
      ),
    );
  return result;
}

export function checkTls(value: unknown, clusterName: string, out: Violation[]): TlsSettings {
  const example = '{"enabled": true, "source": "cert-manager", "issuer": {"name": "etcd-ca"}}';
  const given = checkMap("tls", value, example, out);
  checkKnownKeys("tls", given, TLS_KEYS, out);
  const enabled = asBoolean(given.enabled ?? TLS_DEFAULTS.enabled);
  if (typeof enabled !== "boolean")
    out.push(violation("tls.enabled", given.enabled, "must be true or false"));
  const source = given.source ?? TLS_DEFAULTS.source;
  collect(out, checkOneOf("tls.source", source, TLS_SOURCES));
  if (source === "secrets" && given.issuer !== undefined)
    out.push(
      violation(
        "tls.issuer",
        given.issuer,
        'is used only with tls.source "cert-manager"; remove it when the certificates come from Secrets',
      ),
    );
  // Checked even when disabled: a stack file prepared for TLS should be right before it is switched on.
  const secrets = checkSecretNames(given, source, clusterName, out);
  const issuer =
    source === "cert-manager" && (enabled === true || given.issuer !== undefined)
      ? checkIssuer(given, out)
      : undefined;
  const lifetime = checkLifetime(given, source, out);
  if (enabled !== true) return { enabled: false };
  if (source === "secrets") return { enabled: true, source, secrets };
  return { enabled: true, source: "cert-manager", issuer: issuer!, secrets, ...lifetime };
}
