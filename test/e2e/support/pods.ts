/** What the end-to-end tests read off pods and other API objects. */
import type * as k8s from "@kubernetes/client-node";

export const isReady = (pod: k8s.V1Pod): boolean =>
  pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

/** The pid of the pod's first container: the process kubelet's container ID is `process://<pid>`. */
export const pidOf = (pod: k8s.V1Pod): number =>
  Number(pod.status?.containerStatuses?.[0]?.containerID?.replace("process://", ""));

/** True once the object is gone, or (with `uid`) another object of that name replaced it. */
export async function gone(
  read: () => Promise<k8s.KubernetesObject>,
  uid?: string,
): Promise<true | undefined> {
  try {
    const object = await read();
    return (uid !== undefined && object.metadata?.uid !== uid) || undefined;
  } catch (error) {
    if ((error as { code?: number }).code === 404) return true;
    throw error;
  }
}
