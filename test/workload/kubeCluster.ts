/**
 * The real cluster of the workload's API tests: control plane and process kubelet from test/e2e on
 * this suite's loopback addresses, with the objects of kube-objects.ts and the e2e etcd fixture.
 */
import type { ClusterIdentity } from "../../model/naming";
import type { MembershipArgs } from "../../model/membership/inputs";
import type { PodState, Workload } from "../../providers/membership/types";
import { connectKube } from "../../providers/kubernetes/kubeconfig";
import { waitUntil } from "../../providers/kubernetes/wait";
import { startControlPlane, type ControlPlane } from "../e2e/controlPlane";
import { componentObjects } from "../e2e/fixtures/etcdStatefulSet";
import { startKubelet, type Kubelet } from "../e2e/kubelet";
import { serverSideApply } from "../e2e/support/apply";
import { foreignPod, parkedStatefulSet } from "./kubeObjects";

const HOST = "127.2.0.10";
const POD_IPS = { first: "127.2.1.1", last: "127.2.1.254" };
export const NODE_NAME = "kube-workload-node";
export const NAMESPACE = "kube-workload";
/** Its pods no node accepts: they stay Pending. */
export const parked: ClusterIdentity = {
  name: "parked",
  namespace: NAMESPACE,
  clusterDomain: "cluster.local",
};
/** The component's shape: its pods run real etcd. */
export const member: ClusterIdentity = { ...parked, name: "etcd" };
export const WAIT = { initialDelayMs: 20, maxDelayMs: 1_000, totalMs: 120_000 };

export interface TestCluster {
  plane: ControlPlane;
  kubelet: Kubelet;
  argsFor(c: ClusterIdentity, access?: MembershipArgs["access"]): MembershipArgs;
  stop(): Promise<void>;
}

export async function startTestCluster(): Promise<TestCluster> {
  const plane = await startControlPlane({ host: HOST });
  let kubelet: Kubelet | undefined;
  try {
    kubelet = await startKubelet({
      kubeconfig: plane.kubeconfig,
      kubeletCA: plane.kubeletCA,
      nodeName: NODE_NAME,
      nodeIP: HOST,
      podIPRange: POD_IPS,
      crashLoopBackoff: { initialMs: 500, maxMs: 2_000 },
    });
    const objects = await componentObjects(member);
    await serverSideApply(connectKube(member, plane.kubeconfig).kubeConfig, [
      objects.namespace,
      objects.peerService,
      objects.statefulSet,
      parkedStatefulSet(parked, 1),
      foreignPod(parked, "parked-canary"),
    ]);
  } catch (error) {
    await kubelet?.stop();
    await plane.stop();
    throw error;
  }
  const running = kubelet;
  return {
    plane,
    kubelet: running,
    argsFor: (c, access = "port-forward") => ({
      clusterName: c.name,
      owner: "etcd-k8s/test/etcd",
      namespace: c.namespace,
      clusterDomain: c.clusterDomain,
      size: 1,
      volumePolicy: "Delete",
      access,
      kubeconfig: plane.kubeconfig,
    }),
    stop: async () => {
      await running.stop();
      await plane.stop();
    },
  };
}

/** Waits until the pods are `ordinals` and `accept` holds for them; returns them. */
export async function podsOnceTheyAre(
  workload: Workload,
  ordinals: number[],
  accept: (pods: PodState[]) => boolean = () => true,
): Promise<PodState[]> {
  let pods: PodState[] = [];
  await waitUntil(
    `${workload.describe()}: pods ${ordinals.join(",")}`,
    async () => {
      pods = await workload.pods();
      const matching = pods.map((p) => p.ordinal).join(",") === ordinals.join(",");
      return matching && accept(pods) ? undefined : `pods are ${JSON.stringify(pods)}`;
    },
    WAIT,
  );
  return pods;
}
