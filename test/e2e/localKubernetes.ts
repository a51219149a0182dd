/**
 * The control plane and the process kubelet together, as one local stand-in for a Kubernetes
 * cluster: started together, stopped together (also when the second fails to start).
 */
import { type ControlPlane, startControlPlane } from "./controlPlane";
import { type CrashLoopBackoff, type Kubelet, startKubelet } from "./kubelet";

export interface LocalKubernetesOptions {
  /** Loopback address of the control plane and the node. */
  host: string;
  /** Pod IPs, one loopback address per pod; disjoint from every other kubelet running at once. */
  podIPRange: { first: string; last: string };
  /** Also the owner name of the kubelet's block in /etc/hosts. */
  nodeName: string;
  crashLoopBackoff?: CrashLoopBackoff;
}

export interface LocalKubernetes {
  controlPlane: ControlPlane;
  kubelet: Kubelet;
  /** Stops the kubelet (its pods' processes), then the control plane. */
  stop(): Promise<void>;
}

export async function startLocalKubernetes(
  options: LocalKubernetesOptions,
): Promise<LocalKubernetes> {
  const controlPlane = await startControlPlane({ host: options.host });
  let kubelet: Kubelet;
  try {
    kubelet = await startKubelet({
      kubeconfig: controlPlane.kubeconfig,
      kubeletCA: controlPlane.kubeletCA,
      nodeName: options.nodeName,
      nodeIP: options.host,
      podIPRange: options.podIPRange,
      ...(options.crashLoopBackoff ? { crashLoopBackoff: options.crashLoopBackoff } : {}),
    });
  } catch (error) {
    await controlPlane.stop();
    throw error;
  }
  return {
    controlPlane,
    kubelet,
    stop: async () => {
      try {
        await kubelet.stop();
      } finally {
        await controlPlane.stop();
      }
    },
  };
}
