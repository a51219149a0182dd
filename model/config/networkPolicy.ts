/**
 * The `networkPolicy` argument: whether the component emits a NetworkPolicy, and who may reach the
 * client port (2379) and the metrics port (2381). Peer traffic (2380) is always limited to the
 * cluster's own members and needs no setting.
 */
import { isIP } from "node:net";
import { checkLabelValue, checkMetadataKey } from "./kubernetesRules";
import { type Violation, checkBoolean, violation } from "./rules";

/** One allowed source, as in a NetworkPolicy `from` entry: label maps, both optional, not both absent. */
export interface TrafficSource {
  /** Pods with these labels; in the cluster's namespace unless `namespaceSelector` is given too. */
  podSelector?: Record<string, string>;
  /** Namespaces with these labels (`{}`: every namespace). */
  namespaceSelector?: Record<string, string>;
}

export interface NetworkPolicyArgs {
  enabled?: boolean;
  /** Who may use the client port 2379 besides the members themselves. */
  clientSelectors?: TrafficSource[];
  /** Who may scrape the metrics port 2381 (e.g. the monitoring namespace). */
  metricsSelectors?: TrafficSource[];
  /** Address ranges allowed on the client port: where the membership provider runs with `access: pod-ip`. */
  providerCIDRs?: string[];
}

export interface NetworkPolicySettings {
  enabled: boolean;
  clientSelectors: TrafficSource[];
  metricsSelectors: TrafficSource[];
  providerCIDRs: string[];
}

/**
 * Off unless asked for: a policy that admits no client would cut every existing client off the
 * moment it is applied, and whether it is enforced at all depends on the cluster's CNI plugin.
 */
export const NETWORK_POLICY_DEFAULTS: NetworkPolicySettings = {
  enabled: false,
  clientSelectors: [],
  metricsSelectors: [],
  providerCIDRs: [],
};

export const NETWORK_POLICY_KEYS = [
  "enabled",
  "clientSelectors",
  "metricsSelectors",
  "providerCIDRs",
] as const;
const SOURCE_KEYS = ["podSelector", "namespaceSelector"];
const SOURCE_EXAMPLE =
  '[{"namespaceSelector": {"team": "api"}, "podSelector": {"role": "server"}}]';
const CIDR_EXAMPLE = '["10.20.0.0/16"]';

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function checkLabelSelector(key: string, value: unknown, out: Violation[]): void {
  if (!isRecord(value)) {
    out.push(violation(key, value, 'must be a map of labels such as {"team": "api"}'));
    return;
  }
  for (const [label, labelValue] of Object.entries(value)) {
    const problems = [
      checkMetadataKey(key, label),
      checkLabelValue(`${key}[${JSON.stringify(label)}]`, labelValue),
    ];
    for (const problem of problems) if (problem) out.push(problem);
  }
}

function checkSources(key: string, value: unknown, out: Violation[]): TrafficSource[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    out.push(violation(key, value, `must be a list such as ${SOURCE_EXAMPLE}`));
    return [];
  }
  value.forEach((source: unknown, i) => {
    const at = `${key}[${i}]`;
    if (!isRecord(source) || !SOURCE_KEYS.some((k) => source[k] !== undefined)) {
      out.push(
        violation(
          at,
          source,
          `must be a map with podSelector, namespaceSelector or both, such as ${SOURCE_EXAMPLE}`,
        ),
      );
      return;
    }
    for (const [field, selector] of Object.entries(source)) {
      if (SOURCE_KEYS.includes(field)) checkLabelSelector(`${at}.${field}`, selector, out);
      else
        out.push(
          violation(
            `${at}.${field}`,
            selector,
            `unknown key; ${key} entries take ${SOURCE_KEYS.join(", ")}`,
          ),
        );
    }
  });
  return value as TrafficSource[];
}

/** An IPv4 or IPv6 network in CIDR notation, prefix within the address length. */
function isCidr(value: unknown): boolean {
  if (typeof value !== "string") return false;
  const [address, prefix, ...rest] = value.split("/");
  const family = isIP(address);
  if (rest.length > 0 || family === 0 || !/^\d{1,3}$/.test(prefix ?? "")) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

function checkCidrs(key: string, value: unknown, out: Violation[]): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    out.push(violation(key, value, `must be a list of CIDRs such as ${CIDR_EXAMPLE}`));
    return [];
  }
  value.forEach((cidr: unknown, i) => {
    if (!isCidr(cidr))
      out.push(
        violation(
          `${key}[${i}]`,
          cidr,
          'must be an IPv4 or IPv6 network in CIDR notation, such as "10.20.0.0/16" or "fd00::/64"',
        ),
      );
  });
  return value as string[];
}

export function checkNetworkPolicy(value: unknown, out: Violation[]): NetworkPolicySettings {
  if (value === undefined) return NETWORK_POLICY_DEFAULTS;
  if (!isRecord(value)) {
    out.push(
      violation(
        "networkPolicy",
        value,
        `must be a map such as {"enabled": true, "clientSelectors": ${SOURCE_EXAMPLE}}`,
      ),
    );
    return NETWORK_POLICY_DEFAULTS;
  }
  for (const field of Object.keys(value))
    if (!(NETWORK_POLICY_KEYS as readonly string[]).includes(field))
      out.push(
        violation(
          `networkPolicy.${field}`,
          value[field],
          `unknown key; networkPolicy takes ${NETWORK_POLICY_KEYS.join(", ")}`,
        ),
      );
  const enabled = value.enabled ?? NETWORK_POLICY_DEFAULTS.enabled;
  const enabledProblem = checkBoolean("networkPolicy.enabled", enabled);
  if (enabledProblem) out.push(enabledProblem);
  return {
    enabled: enabled === true,
    clientSelectors: checkSources("networkPolicy.clientSelectors", value.clientSelectors, out),
    metricsSelectors: checkSources("networkPolicy.metricsSelectors", value.metricsSelectors, out),
    providerCIDRs: checkCidrs("networkPolicy.providerCIDRs", value.providerCIDRs, out),
  };
}
