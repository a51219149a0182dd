/**
 * The membership resource the program declares (after the StatefulSet). The provider is a
 * parameter: production passes `createMembershipProvider(<Kubernetes workload factory>)`, tests
 * pass the same provider built over local etcd processes.
 */
import * as pulumi from "@pulumi/pulumi";
import { type MembershipArgs, SECRET_KEYS } from "../../model/membership/inputs";
import type { MembershipOutputs } from "./outputs";

export type MembershipResourceArgs = {
  [K in keyof MembershipArgs]: pulumi.Input<MembershipArgs[K]>;
};

/** The type token Pulumi gives this dynamic resource (module "etcd", type "Membership"). */
export const MEMBERSHIP_TYPE = "pulumi-nodejs:dynamic/etcd:Membership";

/**
 * Every output as a property, typed from the provider's own outputs: `size` is the wanted size after
 * create/update and the live voter count after a refresh; `members` the planned member names (what
 * preview shows), the live ones after a refresh; `latestSnapshot` the newest safety snapshot.
 */
type MembershipOutputProperties = {
  readonly [K in keyof MembershipOutputs]-?: pulumi.Output<MembershipOutputs[K]>;
};

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type -- types the outputs the dynamic resource sets at run time
export interface MembershipResource extends MembershipOutputProperties {}

// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see above
export class MembershipResource extends pulumi.dynamic.Resource {
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
    const secrets = [...(opts.additionalSecretOutputs ?? []), ...SECRET_KEYS];
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
