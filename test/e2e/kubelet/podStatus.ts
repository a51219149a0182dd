/**
 * The pod status the kubelet reports (pkg/kubelet/status and kubelet_pods.go generateAPIPodStatus),
 * computed from what the containers report: phase, the Initialized / ContainersReady / Ready
 * conditions next to the scheduler's PodScheduled, IPs and container statuses. A condition keeps
 * its lastTransitionTime while its status does not change.
 */
import type * as k8s from "@kubernetes/client-node";

export interface PodStatusInput {
  pod: k8s.V1Pod;
  podIP: string;
  hostIP: string;
  startTime: Date;
  containers: k8s.V1ContainerStatus[];
  now: Date;
}

function phaseOf(restartPolicy: string, containers: k8s.V1ContainerStatus[]): string {
  const terminated = containers.map((c) => c.state?.terminated);
  if (containers.length > 0 && terminated.every((t) => t !== undefined)) {
    if (restartPolicy !== "Always")
      return terminated.every((t) => t!.exitCode === 0) ? "Succeeded" : "Failed";
  }
  const everStarted = containers.some(
    (c) =>
      c.state?.running !== undefined || c.state?.terminated !== undefined || c.restartCount > 0,
  );
  return everStarted ? "Running" : "Pending";
}

export function podStatus(input: PodStatusInput): k8s.V1PodStatus {
  const { pod, containers, now } = input;
  const previous = new Map((pod.status?.conditions ?? []).map((c) => [c.type, c]));
  const notReady = containers.filter((c) => !c.ready).map((c) => c.name);
  const containersReady = notReady.length === 0 && containers.length > 0;
  const condition = (type: string, ok: boolean): k8s.V1PodCondition => {
    const status = ok ? "True" : "False";
    const before = previous.get(type);
    return {
      type,
      status,
      ...(ok
        ? {}
        : {
            reason: "ContainersNotReady",
            message: `containers with unready status: [${notReady.join(" ")}]`,
          }),
      lastTransitionTime: before?.status === status ? before.lastTransitionTime : now,
    };
  };
  const scheduled = previous.get("PodScheduled") ?? {
    type: "PodScheduled",
    status: "True",
    lastTransitionTime: now,
  };
  return {
    phase: phaseOf(pod.spec?.restartPolicy ?? "Always", containers),
    conditions: [
      condition("Initialized", true),
      condition("Ready", containersReady),
      condition("ContainersReady", containersReady),
      scheduled,
    ],
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    podIP: input.podIP,
    podIPs: [{ ip: input.podIP }],
    startTime: input.startTime,
    containerStatuses: containers,
  };
}
