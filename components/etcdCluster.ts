/**
 * The EtcdCluster component: validates its arguments, then emits every Kubernetes object of one etcd
 * cluster. Which object comes from where:
 *   Namespace            builders/namespace.ts         (only with createNamespace)
 *   peer + client Service builders/services.ts
 *   StatefulSet          builders/statefulSet.ts, pod from builders/podSpec.ts + etcdContainer.ts
 *   PodDisruptionBudget  builders/disruptionBudget.ts
 *   NetworkPolicy        builders/networkPolicy.ts     (only with networkPolicy.enabled)
 *   cert-manager Certificates builders/certificates.ts (only with tls from cert-manager)
 *   etcd membership      providers/membership (dynamic provider; scales the StatefulSet)
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { disruptionBudgetArgs } from "./builders/disruptionBudget";
import { namespaceArgs } from "./builders/namespace";
import { networkPolicyArgs } from "./builders/networkPolicy";
import { etcdPodSpec } from "./builders/podSpec";
import { certificateObjects } from "./builders/certificates";
import { clientServiceArgs, peerServiceArgs } from "./builders/services";
import { statefulSetArgs } from "./builders/statefulSet";
import {
  type ClusterSettings,
  type EtcdClusterArgs,
  clusterIdentity,
  resolveClusterSettings,
} from "../model/config/settings";
import * as naming from "../model/naming";
import { kubernetesMembershipProvider } from "../providers/kubernetesMembership";
import { MEMBERSHIP_TYPE, MembershipResource } from "../providers/membership/resource";
import type { SnapshotRecord } from "../providers/snapshots/store";
import { membershipArgs } from "./builders/membershipArgs";
import {
  type KubernetesTargetArgs,
  checkKubernetesTarget,
  kubernetesTarget,
} from "./kubernetesTarget";
import type { MemberStatus } from "../providers/membership/summary";

export const ETCD_CLUSTER_TYPE = "etcd-k8s:index:EtcdCluster";

/**
 * Kubernetes cannot change these on a StatefulSet, so @pulumi/kubernetes would replace it: every
 * member stopped at once, and the new StatefulSet starting at one replica over volumes that belong
 * to a larger cluster, which then has no quorum. Ignoring them keeps a config edit from ever doing
 * that; the membership provider's `check` refuses such an edit with a message instead.
 */
export const STATEFULSET_FIELDS_FIXED_AT_CREATION = [
  "spec.volumeClaimTemplates",
  "spec.selector",
  "spec.serviceName",
  "spec.podManagementPolicy",
];

export class EtcdCluster extends pulumi.ComponentResource {
  /** In-cluster client URL, e.g. `http://etcd-client.etcd.svc.cluster.local:2379`. */
  public readonly clientEndpoint: pulumi.Output<string>;
  public readonly peerServiceName: pulumi.Output<string>;
  public readonly statefulSetName: pulumi.Output<string>;
  public readonly namespace: pulumi.Output<string>;
  /** The configured member count. */
  public readonly size: pulumi.Output<number>;
  /** Member names after the last membership change, e.g. ["etcd-0", "etcd-1", "etcd-2"]. */
  public readonly members: pulumi.Output<string[]>;
  /** The leading member's name, as seen at the end of the last change. */
  public readonly leader: pulumi.Output<string | null>;
  /** Every member with its hex ID, peer URL, role and health. */
  public readonly memberStatus: pulumi.Output<MemberStatus[]>;
  /** The newest safety snapshot (path, bytes, sha256, revision, member, takenAt), if any. */
  public readonly latestSnapshot: pulumi.Output<SnapshotRecord | null>;

  /** Throws a `ValidationError` naming every bad argument before anything is registered. */
  constructor(
    name: string,
    args: EtcdClusterArgs & KubernetesTargetArgs,
    opts: pulumi.ComponentResourceOptions = {},
  ) {
    const subject = `EtcdCluster ${JSON.stringify(name)}`;
    const settings = resolveClusterSettings(subject, args, name);
    const checkedTarget = checkKubernetesTarget(subject, args, opts);
    super(ETCD_CLUSTER_TYPE, name, {}, opts);
    const target = kubernetesTarget(subject, name, args, checkedTarget, this);
    const parentOpts = { parent: this, ...(target.provider ? { provider: target.provider } : {}) };
    const namespace = declareNamespace(settings, parentOpts);
    const afterNamespace: pulumi.Resource[] = namespace ? [namespace] : [];
    const childOpts: pulumi.CustomResourceOptions = { ...parentOpts, dependsOn: afterNamespace };
    const workload = declareWorkload(settings, childOpts);

    const membership = declareMembership(name, settings, target.kubeconfig, this, [
      ...afterNamespace,
      ...workload.certificates,
      workload.statefulSet,
      workload.peerService,
    ]);
    declarePolicies(settings, childOpts);

    this.statefulSetName = workload.statefulSet.metadata.name;
    this.namespace = workload.statefulSet.metadata.namespace;
    this.peerServiceName = workload.peerService.metadata.name;
    // Taken from the Service so that whoever uses the endpoint waits until the Service exists.
    this.clientEndpoint = workload.clientService.metadata.name.apply(() =>
      naming.clientEndpoint(clusterIdentity(settings)),
    );
    this.size = pulumi.output(settings.size);
    this.members = membership.members;
    this.leader = membership.leader;
    this.memberStatus = membership.memberStatus;
    this.latestSnapshot = membership.latestSnapshot;
    this.registerOutputs({
      clientEndpoint: this.clientEndpoint,
      peerServiceName: this.peerServiceName,
      statefulSetName: this.statefulSetName,
      namespace: this.namespace,
      size: this.size,
      members: this.members,
      leader: this.leader,
      memberStatus: this.memberStatus,
      latestSnapshot: this.latestSnapshot,
    });
  }
}

/**
 * Kept on `pulumi destroy`: deleting a namespace deletes the volumes in it, which the
 * StatefulSet's whenDeleted=Retain promises to keep.
 */
function declareNamespace(
  settings: ClusterSettings,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Namespace | undefined {
  if (!settings.createNamespace) return undefined;
  return new k8s.core.v1.Namespace(settings.namespace, namespaceArgs(settings), {
    ...opts,
    retainOnDelete: true,
  });
}

/** The Services, the Certificates the pods mount, and the StatefulSet. */
function declareWorkload(settings: ClusterSettings, opts: pulumi.CustomResourceOptions) {
  const identity = clusterIdentity(settings);
  const peerService = new k8s.core.v1.Service(
    naming.peerServiceName(identity),
    peerServiceArgs(settings),
    opts,
  );
  const clientService = new k8s.core.v1.Service(
    naming.clientServiceName(identity),
    clientServiceArgs(settings),
    opts,
  );
  // Before the StatefulSet, whose pods mount the Secrets cert-manager writes for them.
  const certificates = Object.values(certificateObjects(settings)).map(
    (certificate) =>
      new k8s.apiextensions.CustomResource(certificate.metadata.name as string, certificate, opts),
  );
  const statefulSet = new k8s.apps.v1.StatefulSet(
    naming.statefulSetName(identity),
    statefulSetArgs(settings, etcdPodSpec(settings)),
    { ...opts, ignoreChanges: STATEFULSET_FIELDS_FIXED_AT_CREATION },
  );
  return { peerService, clientService, certificates, statefulSet };
}

/**
 * After the StatefulSet, which it scales, and the peer Service, through which members resolve each
 * other from their first start (both in `after`). Not after the client Service: nothing here needs it.
 */
function declareMembership(
  name: string,
  settings: ClusterSettings,
  kubeconfig: pulumi.Output<string> | undefined,
  parent: pulumi.ComponentResource,
  after: pulumi.Resource[],
): MembershipResource {
  return new MembershipResource(
    `${name}-membership`,
    kubernetesMembershipProvider,
    membershipArgs(settings, {
      owner: `${pulumi.getProject()}/${pulumi.getStack()}/${name}`,
      urn: pulumi.createUrn(`${name}-membership`, MEMBERSHIP_TYPE, parent),
      ...(kubeconfig ? { kubeconfig } : {}),
    }),
    { parent, dependsOn: after },
  );
}

/** Who may disrupt the members (the budget) and who may reach them (the NetworkPolicy). */
function declarePolicies(settings: ClusterSettings, opts: pulumi.CustomResourceOptions): void {
  const identity = clusterIdentity(settings);
  new k8s.policy.v1.PodDisruptionBudget(
    naming.disruptionBudgetName(identity),
    disruptionBudgetArgs(settings),
    opts,
  );
  if (settings.networkPolicy.enabled)
    new k8s.networking.v1.NetworkPolicy(
      naming.networkPolicyName(identity),
      networkPolicyArgs(settings),
      opts,
    );
}
