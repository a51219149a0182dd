/**
 * The EtcdCluster component: validates its arguments, then emits every Kubernetes object of one etcd
 * cluster. Which object comes from where:
 *   Namespace            builders/namespace.ts         (only with createNamespace)
 *   peer + client Service builders/services.ts
 *   StatefulSet          builders/statefulSet.ts, pod from builders/podSpec.ts + etcdContainer.ts
 *   PodDisruptionBudget  builders/disruptionBudget.ts
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { initialClusterToken } from "./builders/clusterToken";
import { disruptionBudgetArgs } from "./builders/disruptionBudget";
import { namespaceArgs } from "./builders/namespace";
import { etcdPodSpec } from "./builders/podSpec";
import { clientServiceArgs, peerServiceArgs } from "./builders/services";
import { statefulSetArgs } from "./builders/statefulSet";
import { type EtcdClusterArgs, clusterIdentity, resolveClusterSettings } from "./config/settings";
import * as naming from "./naming";

export const ETCD_CLUSTER_TYPE = "etcd-k8s:index:EtcdCluster";

export class EtcdCluster extends pulumi.ComponentResource {
  /** In-cluster client URL, e.g. `http://etcd-client.etcd.svc.cluster.local:2379`. */
  public readonly clientEndpoint: pulumi.Output<string>;
  public readonly peerServiceName: pulumi.Output<string>;
  public readonly statefulSetName: pulumi.Output<string>;
  public readonly namespace: pulumi.Output<string>;
  /** The configured member count. */
  public readonly size: pulumi.Output<number>;

  /** Throws a `ValidationError` naming every bad argument before anything is registered. */
  constructor(name: string, args: EtcdClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    const settings = resolveClusterSettings(`EtcdCluster ${JSON.stringify(name)}`, args, name);
    super(ETCD_CLUSTER_TYPE, name, {}, opts);
    const identity = clusterIdentity(settings);

    // Kept on `pulumi destroy`: deleting a namespace deletes the volumes in it, which the
    // StatefulSet's whenDeleted=Retain promises to keep.
    const namespace = settings.createNamespace
      ? new k8s.core.v1.Namespace(settings.namespace, namespaceArgs(settings), {
          parent: this,
          retainOnDelete: true,
        })
      : undefined;
    const childOpts: pulumi.CustomResourceOptions = {
      parent: this,
      dependsOn: namespace ? [namespace] : [],
    };

    const peerService = new k8s.core.v1.Service(
      naming.peerServiceName(identity),
      peerServiceArgs(settings),
      childOpts,
    );
    const clientService = new k8s.core.v1.Service(
      naming.clientServiceName(identity),
      clientServiceArgs(settings),
      childOpts,
    );
    const clusterToken = initialClusterToken({
      project: pulumi.getProject(),
      stack: pulumi.getStack(),
      namespace: settings.namespace,
      clusterName: settings.clusterName,
    });
    const statefulSet = new k8s.apps.v1.StatefulSet(
      naming.statefulSetName(identity),
      statefulSetArgs(settings, etcdPodSpec(settings, clusterToken)),
      childOpts,
    );

    // The membership resource belongs here, created with
    // {parent: this, dependsOn: [statefulSet, peerService]}: it scales the StatefulSet, and its
    // members must resolve each other through the peer Service from their first start.

    new k8s.policy.v1.PodDisruptionBudget(
      naming.disruptionBudgetName(identity),
      disruptionBudgetArgs(settings),
      childOpts,
    );

    this.statefulSetName = statefulSet.metadata.name;
    this.namespace = statefulSet.metadata.namespace;
    this.peerServiceName = peerService.metadata.name;
    // Taken from the Service so that whoever uses the endpoint waits until the Service exists.
    this.clientEndpoint = clientService.metadata.name.apply(() => naming.clientEndpoint(identity));
    this.size = pulumi.output(settings.size);
    this.registerOutputs({
      clientEndpoint: this.clientEndpoint,
      peerServiceName: this.peerServiceName,
      statefulSetName: this.statefulSetName,
      namespace: this.namespace,
      size: this.size,
    });
  }
}
