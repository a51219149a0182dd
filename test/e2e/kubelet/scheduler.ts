/**
 * The scheduler of the process kubelet's single node: binds each pending pod that fits
 * (./scheduling) through the pods/binding subresource, or marks it PodScheduled=False with the
 * reason, as kube-scheduler does. Pods bound but not yet seen bound in the cache are "assumed" on
 * the node, so two pods in one pass cannot both take a place that anti-affinity allows only once.
 * A pod's writes go one after another: a PodScheduled=False patch still in flight when the claim
 * binds would otherwise land after the binding and mark a bound pod unschedulable.
 */
import * as k8s from "@kubernetes/client-node";
import { schedulingProblem } from "./scheduling";
import type { WatchCache } from "./watchCache";

const mergePatch = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);
const DEFAULT_SCHEDULER = "default-scheduler";

export class PodScheduler {
  private readonly assumed = new Map<string, k8s.V1Pod>();
  private readonly reported = new Map<string, string>();
  private readonly writes = new Map<string, Promise<void>>();

  constructor(
    private readonly core: k8s.CoreV1Api,
    private readonly node: k8s.V1Node,
    private readonly pods: WatchCache<k8s.V1Pod>,
    private readonly claim: (
      namespace: string,
      name: string,
    ) => k8s.V1PersistentVolumeClaim | undefined,
  ) {}

  /** Binds `pod` if it is pending for the default scheduler and fits. */
  consider(pod: k8s.V1Pod): void {
    const uid = pod.metadata?.uid ?? "";
    if ((pod.spec?.schedulerName ?? DEFAULT_SCHEDULER) !== DEFAULT_SCHEDULER) return;
    if (pod.metadata?.deletionTimestamp || this.assumed.has(uid)) return;
    const nodeName = this.node.metadata?.name;
    const onNode = [
      ...this.pods.list().filter((p) => p.spec?.nodeName === nodeName),
      ...this.assumed.values(),
    ];
    const problem = schedulingProblem(pod, this.node, onNode, this.claim);
    if (problem !== undefined) {
      if (this.reported.get(uid) !== problem) {
        this.reported.set(uid, problem);
        this.afterWrites(uid, () => this.markUnschedulable(pod, problem));
      }
      return;
    }
    this.reported.delete(uid);
    this.assumed.set(uid, pod);
    this.afterWrites(uid, () => this.bind(pod).finally(() => this.assumed.delete(uid)));
  }

  private afterWrites(uid: string, write: () => Promise<void>): void {
    const next = (this.writes.get(uid) ?? Promise.resolve()).then(write);
    this.writes.set(uid, next);
    void next.finally(() => {
      if (this.writes.get(uid) === next) this.writes.delete(uid);
    });
  }

  private async bind(pod: k8s.V1Pod): Promise<void> {
    const { name, namespace, uid } = pod.metadata ?? {};
    try {
      await this.core.createNamespacedBinding({
        namespace: namespace!,
        body: {
          metadata: { name, namespace, uid },
          target: { apiVersion: "v1", kind: "Node", name: this.node.metadata?.name },
        },
      });
    } catch (error) {
      // 409: bound meanwhile (or a newer pod of that name); 404: deleted meanwhile.
      const code = (error as { code?: number }).code;
      if (code !== 409 && code !== 404) {
        console.error(`process-kubelet: binding ${namespace}/${name}: ${(error as Error).message}`);
      }
    }
  }

  private async markUnschedulable(pod: k8s.V1Pod, message: string): Promise<void> {
    const { name, namespace, uid } = pod.metadata ?? {};
    const condition = {
      type: "PodScheduled",
      status: "False",
      reason: "Unschedulable",
      message,
      lastTransitionTime: new Date(),
    };
    try {
      await this.core.patchNamespacedPodStatus(
        {
          name: name!,
          namespace: namespace!,
          body: { metadata: { uid }, status: { conditions: [condition] } },
        },
        mergePatch,
      );
    } catch (error) {
      const code = (error as { code?: number }).code;
      if (code !== 409 && code !== 404) {
        console.error(
          `process-kubelet: status of ${namespace}/${name}: ${(error as Error).message}`,
        );
      }
    }
  }
}
