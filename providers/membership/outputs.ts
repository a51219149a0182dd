/**
 * The resource's inputs and outputs as plain records: everything later `diff`, `update` and `read`
 * calls need is kept in the outputs, since the engine hands those back as "olds".
 */
import type { MembershipArgs, MembershipInputs } from "./inputs";
import type { SnapshotRecord } from "../snapshots/store";
import type { ClusterSummary } from "./summary";

export type MembershipOutputs = MembershipInputs &
  ClusterSummary & {
    /**
     * The newest safety snapshot taken by this resource, kept across runs that took none; null
     * before the first (a stack output that is undefined makes the CLI warn on every create).
     */
    latestSnapshot?: SnapshotRecord | null;
    /**
     * Set by a refresh: what the next `pulumi up` would do first (a repair), or why it would
     * refuse; null when the cluster is as wanted. Non-null makes `diff` ask for an update.
     */
    pendingChange?: string | null;
  };

/** Pulumi outputs cannot hold undefined: optional values are left out instead. */
export function withoutUndefined<T extends object>(record: T): T {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as T;
}

export function argsOf(props: Record<string, unknown>): MembershipArgs {
  const p = props as unknown as MembershipArgs;
  return withoutUndefined({
    clusterName: p.clusterName,
    namespace: p.namespace,
    owner: p.owner,
    replaceMembers: p.replaceMembers,
    clusterDomain: p.clusterDomain,
    size: p.size,
    volumePolicy: p.volumePolicy,
    access: p.access,
    endpointTemplate: p.endpointTemplate,
    kubeconfig: p.kubeconfig,
    __urn: p.__urn,
    fixedAtCreation: p.fixedAtCreation,
    snapshots: p.snapshots,
    tls: p.tls,
    rootPassword: p.rootPassword,
  });
}

export function inputsOf(props: Record<string, unknown>): MembershipInputs {
  const p = props as unknown as MembershipInputs;
  return { ...argsOf(props), members: p.members, plan: p.plan };
}

export function outputsOf(
  inputs: MembershipInputs,
  summary: ClusterSummary,
  latestSnapshot: SnapshotRecord | null = null,
  pendingChange: string | null = null,
): MembershipOutputs {
  return withoutUndefined({ ...inputs, ...summary, latestSnapshot, pendingChange });
}

export const resourceId = (args: MembershipArgs): string => `${args.namespace}/${args.clusterName}`;

/** Keys whose change the provider acts on; `members` and `plan` only describe a change. */
export const UPDATE_KEYS = [
  "size",
  "owner",
  "replaceMembers",
  "volumePolicy",
  "access",
  "endpointTemplate",
  "kubeconfig",
  "clusterDomain",
  "snapshots",
  "tls",
  "rootPassword",
] as const;
/** The cluster's identity: another name or namespace is another cluster. */
export const REPLACE_KEYS = ["clusterName", "namespace"] as const;
