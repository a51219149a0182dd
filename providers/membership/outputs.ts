/**
 * The resource's outputs as plain records: everything later `diff`, `update` and `read` calls need
 * is kept in the outputs, since the engine hands those back as "olds".
 */
import { type MembershipArgs, type MembershipInputs, argsOf } from "../../model/membership/inputs";
import type { SnapshotRecord } from "../snapshots/store";
import type { ClusterSummary } from "./summary";

export type MembershipOutputs = MembershipInputs &
  ClusterSummary & {
    /**
     * The newest safety snapshot taken by this resource, kept across runs that took none; null
     * before the first (a stack output that is undefined makes the CLI warn on every create).
     */
    latestSnapshot: SnapshotRecord | null;
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

export function inputsOf(props: MembershipInputs): MembershipInputs {
  return { ...argsOf(props), members: props.members, plan: props.plan };
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
