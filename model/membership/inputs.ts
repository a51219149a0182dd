/**
 * The membership resource's inputs, defined once: their types, how the provider treats a change to
 * each (replace, act, or neither), and the rule `check` applies to each. The component passes them,
 * the provider's `check`, `diff` and outputs derive from `MEMBERSHIP_INPUTS`, and the rules are the
 * stack config's own, so both refuse a value with the same message. Pure: serialized with the
 * provider.
 */
import {
  ACCESS_MODES,
  type AccessMode,
  MAX_CLUSTER_NAME_LENGTH,
  VOLUME_POLICIES,
  type Violation,
  type VolumePolicy,
  checkDnsLabel,
  checkDnsSubdomain,
  checkOneOf,
  checkReplaceMembers,
  checkSize,
} from "../config/rules";
import { checkEndpointTemplate } from "../config/kubernetesRules";
import { checkRootPassword } from "../config/authRules";
import type { SnapshotSettings } from "../config/snapshotRules";
import { checkKubeconfig, checkOwner, checkSnapshotsInput, checkTlsInput } from "./inputRules";
import { isUnknown } from "./unknown";

/**
 * Inputs of the membership resource, as the program passes them. Everything the provider needs later
 * is here and copied to the outputs, because `diff` and `update` receive the previous outputs only.
 */
export interface MembershipArgs {
  /** Cluster name: the StatefulSet name and pod name prefix. Changing it replaces the resource. */
  clusterName: string;
  /** Changing it replaces the resource. */
  namespace: string;
  /**
   * Who manages the cluster, e.g. `etcd-k8s/prod/etcd`: recorded when the cluster is founded; a
   * cluster recorded under another owner is never changed.
   */
  owner: string;
  /**
   * Member IDs (hex, as `memberStatus` and etcdctl show them) to replace: each is removed, its
   * volume discarded, and a new member added in its place as a learner on an empty volume. An ID
   * that is no longer a member (already replaced) is skipped.
   */
  replaceMembers?: string[];
  clusterDomain: string;
  size: number;
  volumePolicy: VolumePolicy;
  access: AccessMode;
  /**
   * With access `endpoints`: one client URL per ordinal, `{ordinal}` and `{name}` are substituted,
   * e.g. `https://{name}.etcd.example.com:2379`.
   */
  endpointTemplate?: string;
  /**
   * Stack config values fixed at creation (e.g. `storage.size`), by config key: `check` refuses a
   * later change to any of them, naming the key, the old and the new value.
   */
  fixedAtCreation?: Record<string, string>;
  /**
   * Safety snapshots before every membership change: an absolute directory on the machine that runs
   * `pulumi up`, and how many to keep. Absent: no snapshots.
   */
  snapshots?: SnapshotSettings;
  /**
   * Peer and client TLS: the name of the `kubernetes.io/tls` Secret (in the cluster's namespace)
   * holding the provider's client certificate, key and the members' CA. Only the name: the key is
   * read at run time and never enters inputs, outputs or state. Absent: plain http.
   */
  tls?: MembershipTls;
  /**
   * Root's password for etcd RBAC (`auth.rootPassword`, a Pulumi secret): present means
   * authentication on. Marked secret in the outputs, which keep it for the next change of password.
   */
  rootPassword?: string;
  /** Kubeconfig content; when absent the provider uses KUBECONFIG, ~/.kube/config or in-cluster config. */
  kubeconfig?: string;
  /**
   * This resource's own URN, so that progress lines are shown under it (see engineLog.ts). The
   * `__` prefix keeps it out of what preview displays; `diff` ignores it.
   */
  __urn?: string;
}

export interface MembershipTls {
  clientSecret: string;
}

/** What `check` adds, so that `pulumi preview --diff` shows the planned change. */
export interface PlannedChange {
  /** Names of the members after the change, e.g. ["etcd-0", "etcd-1", "etcd-2"]. */
  members: string[];
  /** One readable line, e.g. "add etcd-1, etcd-2 as learners one at a time, promoting each". */
  plan: string;
}

export type MembershipInputs = MembershipArgs & PlannedChange;

interface InputSpec {
  /**
   * `identity`: another value is another cluster (the resource is replaced). `change`: the
   * provider acts on a change. `carried`: kept for later calls, never acted on by itself.
   */
  role: "identity" | "change" | "carried";
  /** Its value is a secret: marked so in the outputs and never printed. */
  secret?: true;
  /** The rule `check` applies; absent values of optional inputs are not checked. */
  rule?: (value: unknown, news: Record<string, unknown>) => Violation | Violation[] | undefined;
  optional?: true;
  /** Inputs the rule reads besides its own: unknown in preview, the rule waits for them. */
  reads?: (keyof MembershipArgs)[];
}

export const MEMBERSHIP_INPUTS = {
  clusterName: {
    role: "identity",
    rule: (v) => checkDnsLabel("clusterName", v, MAX_CLUSTER_NAME_LENGTH),
  },
  namespace: { role: "identity", rule: (v) => checkDnsLabel("namespace", v) },
  owner: { role: "change", rule: checkOwner },
  replaceMembers: {
    role: "change",
    optional: true,
    rule: (v) => checkReplaceMembers("replaceMembers", v),
  },
  clusterDomain: { role: "change", rule: (v) => checkDnsSubdomain("clusterDomain", v) },
  size: { role: "change", rule: (v) => checkSize("size", v) },
  volumePolicy: {
    role: "change",
    rule: (v) => checkOneOf("volumePolicy", v, VOLUME_POLICIES),
  },
  access: { role: "change", rule: (v) => checkOneOf("access", v, ACCESS_MODES) },
  endpointTemplate: {
    role: "change",
    reads: ["access"],
    rule: (v, news) => checkEndpointTemplate("endpointTemplate", v, news.access),
  },
  kubeconfig: { role: "change", secret: true, rule: checkKubeconfig },
  snapshots: { role: "change", rule: checkSnapshotsInput },
  tls: { role: "change", rule: checkTlsInput },
  rootPassword: {
    role: "change",
    secret: true,
    optional: true,
    rule: (v) => checkRootPassword("rootPassword", v),
  },
  fixedAtCreation: { role: "carried" },
  __urn: { role: "carried" },
} as const satisfies Record<keyof MembershipArgs, InputSpec>;

type InputKey = keyof typeof MEMBERSHIP_INPUTS;
const INPUT_KEYS = Object.keys(MEMBERSHIP_INPUTS) as InputKey[];
const specOf = (key: InputKey): InputSpec => MEMBERSHIP_INPUTS[key];
const keysWith = (test: (spec: InputSpec) => boolean): InputKey[] =>
  INPUT_KEYS.filter((k) => test(specOf(k)));

/** Another value of these is another cluster: the resource is replaced. */
export const REPLACE_KEYS = keysWith((s) => s.role === "identity");
/** Keys whose change the provider acts on; `members` and `plan` only describe a change. */
export const UPDATE_KEYS = keysWith((s) => s.role === "change");
export const SECRET_KEYS = keysWith((s) => s.secret === true);

/** Every refused input, with the stack config's messages; values unknown in preview wait. */
export function validateInputs(news: Record<string, unknown>): Violation[] {
  return INPUT_KEYS.flatMap((key) => {
    const { rule, optional, reads = [] } = specOf(key);
    const value = news[key];
    if (!rule || (optional && value === undefined)) return [];
    if (isUnknown(value) || reads.some((k) => isUnknown(news[k]))) return [];
    return [rule(value, news) ?? []].flat();
  });
}

/** The membership arguments among any record's keys (inputs, outputs, or olds), undefined left out. */
export function argsOf(props: object): MembershipArgs {
  const record = props as Record<string, unknown>;
  const present = INPUT_KEYS.filter((k) => record[k] !== undefined);
  return Object.fromEntries(present.map((k) => [k, record[k]])) as unknown as MembershipArgs;
}
