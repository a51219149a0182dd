/**
 * The `tls` setting: peer and client TLS with mutual authentication, the certificates either issued
 * by cert-manager against a configured Issuer or taken from Secrets the user provides. Off unless
 * asked for; fixed once the cluster exists (every peer URL's scheme depends on it).
 */
import { type Violation, checkDnsSubdomain, checkOneOf, violation } from "./rules";
import { checkKnownKeys, checkMap, collect } from "./structuredValues";

export const TLS_SOURCES = ["cert-manager", "secrets"] as const;
export const ISSUER_KINDS = ["Issuer", "ClusterIssuer"] as const;
export const TLS_KEYS = ["enabled", "source", "issuer", "secrets"] as const;
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
}

export type TlsSettings =
  | { enabled: false }
  | {
      enabled: true;
      source: "cert-manager";
      issuer: { name: string; kind: IssuerKind };
      secrets: TlsSecretNames;
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
  if (enabled !== true) return { enabled: false };
  if (source === "secrets") return { enabled: true, source, secrets };
  return { enabled: true, source: "cert-manager", issuer: issuer!, secrets };
}
