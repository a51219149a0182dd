/**
 * The Node object of the process kubelet: registered at start (or taken over if it exists), with
 * a Ready condition whose heartbeat is refreshed every `heartbeatMs`, like a kubelet posting its
 * node status. No node-lifecycle controller runs, so nothing would evict pods if it went stale.
 */
import * as k8s from "@kubernetes/client-node";

const mergePatch = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);

export function nodeLabels(nodeName: string): Record<string, string> {
  return {
    "kubernetes.io/hostname": nodeName,
    "kubernetes.io/os": "linux",
    "kubernetes.io/arch": process.arch === "x64" ? "amd64" : process.arch,
  };
}

function nodeStatus(
  nodeIP: string,
  nodeName: string,
  kubeletVersion: string,
  now: Date,
  kubeletPort: number | undefined,
): k8s.V1NodeStatus {
  const healthy = (type: string, reason: string, message: string): k8s.V1NodeCondition => ({
    type,
    status: "False",
    reason,
    message,
    lastHeartbeatTime: now,
  });
  return {
    conditions: [
      {
        type: "Ready",
        status: "True",
        reason: "KubeletReady",
        message: "process kubelet is posting ready status",
        lastHeartbeatTime: now,
      },
      healthy(
        "MemoryPressure",
        "KubeletHasSufficientMemory",
        "kubelet has sufficient memory available",
      ),
      healthy("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
      healthy("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ],
    addresses: [
      { type: "InternalIP", address: nodeIP },
      { type: "Hostname", address: nodeName },
    ],
    // Where kube-apiserver reaches this node's kubelet API (pods/portforward), at the InternalIP.
    ...(kubeletPort !== undefined
      ? { daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } } }
      : {}),
    capacity: { cpu: "2", memory: "8Gi", pods: "110" },
    allocatable: { cpu: "2", memory: "8Gi", pods: "110" },
    nodeInfo: {
      architecture: nodeLabels(nodeName)["kubernetes.io/arch"],
      operatingSystem: "linux",
      kubeletVersion,
      kubeProxyVersion: "",
      containerRuntimeVersion: "process://",
      kernelVersion: "",
      osImage: "process kubelet",
      machineID: nodeName,
      systemUUID: nodeName,
      bootID: String(process.pid),
    },
  };
}

export class NodeRegistration {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly core: k8s.CoreV1Api,
    readonly nodeName: string,
    private readonly nodeIP: string,
    private readonly kubeletVersion: string,
    private readonly heartbeatMs: number,
    /** The port of the kubelet API (kubelet-streaming), when it serves one. */
    private readonly kubeletPort?: number,
  ) {}

  async register(): Promise<k8s.V1Node> {
    try {
      await this.core.createNode({
        body: { metadata: { name: this.nodeName, labels: nodeLabels(this.nodeName) } },
      });
    } catch (error) {
      if ((error as { code?: number }).code !== 409) throw error;
    }
    const node = await this.postStatus();
    this.timer = setInterval(() => {
      this.postStatus().catch((error: unknown) =>
        console.error(`process-kubelet: node status: ${(error as Error).message}`),
      );
    }, this.heartbeatMs);
    return node;
  }

  private postStatus(): Promise<k8s.V1Node> {
    const status = nodeStatus(
      this.nodeIP,
      this.nodeName,
      this.kubeletVersion,
      new Date(),
      this.kubeletPort,
    );
    return this.core.patchNodeStatus({ name: this.nodeName, body: { status } }, mergePatch);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
