/**
 * The membership resource the program declares (after the StatefulSet). The provider is a
 * parameter: production passes `createMembershipProvider(<Kubernetes workload factory>)`, tests
 * pass the same provider built over local etcd processes.
 */
import * as pulumi from "@pulumi/pulumi";
import type { SnapshotRecord, SnapshotSettings } from "../snapshots/store";
import type { AccessMode, MembershipArgs } from "./inputs";
import type { MemberStatus } from "./summary";
import type { VolumePolicy } from "./types";

export type MembershipResourceArgs = {
  [K in keyof MembershipArgs]: pulumi.Input<MembershipArgs[K]>;
};

/** The type token Pulumi gives this dynamic resource (module "etcd", type "Membership"). */
export const MEMBERSHIP_TYPE = "pulumi-nodejs:dynamic/etcd:Membership";

export class MembershipResource extends pulumi.dynamic.Resource {
  declare readonly clusterName: pulumi.Output<string>;
  declare readonly namespace: pulumi.Output<string>;
  declare readonly clusterDomain: pulumi.Output<string>;
  /** The wanted size after create/update; the live voter count after a refresh. */
  declare readonly size: pulumi.Output<number>;
  declare readonly volumePolicy: pulumi.Output<VolumePolicy>;
  declare readonly access: pulumi.Output<AccessMode>;
  declare readonly endpointTemplate: pulumi.Output<string | undefined>;
  declare readonly kubeconfig: pulumi.Output<string | undefined>;
  /** Secret: root's password, kept so that the next change of password can authenticate first. */
  declare readonly rootPassword: pulumi.Output<string | undefined>;
  declare readonly snapshots: pulumi.Output<SnapshotSettings | undefined>;
  /** The newest safety snapshot: path, bytes, sha256, revision, member, takenAt. */
  declare readonly latestSnapshot: pulumi.Output<SnapshotRecord | null>;
  declare readonly fixedAtCreation: pulumi.Output<Record<string, string> | undefined>;
  /** Planned member names (what preview shows), the live ones after a refresh. */
  declare readonly members: pulumi.Output<string[]>;
  /** The readable plan `check` computed for the last change. */
  declare readonly plan: pulumi.Output<string>;
  declare readonly clusterId: pulumi.Output<string | null>;
  /** Name of the leading member. */
  declare readonly leader: pulumi.Output<string | null>;
  declare readonly memberStatus: pulumi.Output<MemberStatus[]>;
  /** Voters in the live member list. */
  declare readonly liveSize: pulumi.Output<number>;
  /** The StatefulSet's replica count as last seen. */
  declare readonly replicas: pulumi.Output<number>;

  constructor(
    name: string,
    provider: pulumi.dynamic.ResourceProvider,
    args: MembershipResourceArgs,
    opts: pulumi.CustomResourceOptions = {},
  ) {
    const outputs = {
      members: undefined,
      plan: undefined,
      clusterId: undefined,
      leader: undefined,
      memberStatus: undefined,
      liveSize: undefined,
      replicas: undefined,
      latestSnapshot: undefined,
    };
    // The provider copies its inputs to its outputs in clear (it cannot return secrets itself).
    const secrets = [...(opts.additionalSecretOutputs ?? []), "kubeconfig", "rootPassword"];
    super(
      provider,
      name,
      { ...args, ...outputs },
      { ...opts, additionalSecretOutputs: secrets },
      "etcd",
      "Membership",
    );
  }
}
