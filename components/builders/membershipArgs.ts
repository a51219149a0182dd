/**
 * The membership resource's inputs from the cluster settings: the one place where a config key
 * becomes a provider input (e.g. `pvcPolicy` becomes `volumePolicy`, the provider's name for what
 * the StatefulSet calls its `whenScaled` retention).
 */
import * as pulumi from "@pulumi/pulumi";
import type { ClusterSettings } from "../../model/config/settings";
import type { MembershipResourceArgs } from "../../providers/membership/resource";
import { snapshotInput } from "../snapshotDirectory";

export interface MembershipContext {
  /** Who manages the cluster, recorded when it is founded: `<project>/<stack>/<resource>`. */
  owner: string;
  /** The membership resource's URN, under which its progress lines are shown. */
  urn: pulumi.Input<string>;
  kubeconfig?: pulumi.Input<string>;
}

export function membershipArgs(
  settings: ClusterSettings,
  context: MembershipContext,
): MembershipResourceArgs {
  return {
    clusterName: settings.clusterName,
    namespace: settings.namespace,
    // Recorded in the cluster when it is founded: another program's cluster is never changed.
    owner: context.owner,
    ...(settings.replaceMembers.length > 0 ? { replaceMembers: settings.replaceMembers } : {}),
    clusterDomain: settings.clusterDomain,
    size: settings.size,
    volumePolicy: settings.pvcPolicy,
    access: settings.access,
    ...(settings.endpointTemplate ? { endpointTemplate: settings.endpointTemplate } : {}),
    ...snapshotInput(settings),
    // Only the Secret's name: the provider reads the key at run time, never through its inputs.
    ...(settings.tls.enabled ? { tls: { clientSecret: settings.tls.secrets.client } } : {}),
    // A secret however it was given, so the engine keeps it encrypted and out of diffs.
    ...(settings.auth.rootPassword === undefined
      ? {}
      : { rootPassword: pulumi.secret(settings.auth.rootPassword) }),
    ...(context.kubeconfig ? { kubeconfig: context.kubeconfig } : {}),
    __urn: context.urn,
    fixedAtCreation: {
      "storage.size": settings.storage.size,
      "storage.className": settings.storage.className ?? "(cluster default)",
      "tls.enabled": String(settings.tls.enabled),
    },
  };
}
