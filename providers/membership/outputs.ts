/**
 * The resource's inputs and outputs as plain records: everything later `diff`, `update` and `read`
 * calls need is kept in the outputs, since the engine hands those back as "olds".
 */
import type { MembershipArgs, MembershipInputs } from "./inputs";
import type { SnapshotRecord } from "../snapshot/store";
import type { ClusterSummary } from "./summary";

export type MembershipOutputs = MembershipInputs &
  ClusterSummary & {
    /** The newest safety snapshot taken by this resource, kept across runs that took none. */
    latestSnapshot?: SnapshotRecord;
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
    clusterDomain: p.clusterDomain,
    size: p.size,
    volumePolicy: p.volumePolicy,
    access: p.access,
    endpointTemplate: p.endpointTemplate,
    kubeconfig: p.kubeconfig,
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
  latestSnapshot?: SnapshotRecord,
): MembershipOutputs {
  return withoutUndefined({ ...inputs, ...summary, latestSnapshot });
}

export const resourceId = (args: MembershipArgs): string => `${args.namespace}/${args.clusterName}`;

/** Keys whose change the provider acts on; `members` and `plan` only describe a change. */
export const UPDATE_KEYS = [
  "size",
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
