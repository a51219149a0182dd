/**
 * When each pod of a cluster reached each stage of its start, in milliseconds: the API's own times
 * are whole seconds, so the pods are watched and each change stamped when it arrives, and etcd's
 * `/livez` is asked directly (every 50 ms, plain http on the metrics port) to see when it serves,
 * which the startup probe reports only at its next period.
 */
import * as k8s from "@kubernetes/client-node";
import { METRICS_PORT } from "../../../model/naming";
import { probeOnce } from "../kubelet/probes";
import type { Milestone, PodTimes } from "./milestones";

const LIVEZ_EVERY_MS = 50;
const RESTART_MS = 100;

/** etcd's `/livez` on the metrics port, asked as the kubelet's probe asks it. */
const LIVEZ = { httpGet: { path: "/livez", port: METRICS_PORT }, timeoutSeconds: 1 };
const ETCD_CONTAINER = { name: "etcd" };

export class PodMilestones {
  /** The stages each pod (by name, this incarnation: its UID) has reached, ever. */
  private readonly reached = new Map<string, { uid: string; stages: Set<Milestone> }>();
  /** When each stage was reached since the last reset. */
  private times = new Map<string, PodTimes>();
  private readonly ips = new Map<string, string>();
  private request: { abort(): void } | undefined;
  private poller: ReturnType<typeof setInterval> | undefined;
  private probing = false;
  private stopped = false;

  constructor(
    private readonly kubeConfig: k8s.KubeConfig,
    private readonly namespace: string,
    /** Pods whose name starts with this (the StatefulSet's name and a dash). */
    private readonly podPrefix: string,
  ) {}

  /** Starts watching; what the pods that exist now have reached counts as reached before. */
  async start(): Promise<void> {
    await this.watch();
    this.poller = setInterval(() => void this.probe(), LIVEZ_EVERY_MS);
  }

  /**
   * A watch the API server or the network ends is started again; the pods it lists again are
   * recognised by UID, so nothing already reached is stamped twice.
   */
  private async watch(): Promise<void> {
    const again = () => {
      if (!this.stopped) setTimeout(() => void this.watch().catch(again), RESTART_MS);
    };
    this.request = await new k8s.Watch(this.kubeConfig).watch(
      `/api/v1/namespaces/${this.namespace}/pods`,
      {},
      (type, pod: k8s.V1Pod) => this.seen(type, pod),
      again,
    );
  }

  stop(): void {
    this.stopped = true;
    this.request?.abort();
    clearInterval(this.poller);
  }

  /** Starts a new step: only what is reached from now on is timed. */
  reset(): void {
    this.times = new Map();
  }

  /** The stages reached since the last reset, by pod name. */
  snapshot(): Map<string, PodTimes> {
    return new Map([...this.times].map(([name, times]) => [name, { ...times }]));
  }

  private mark(name: string, milestone: Milestone, isReached: boolean): void {
    const stages = this.reached.get(name)?.stages;
    if (!isReached || stages === undefined || stages.has(milestone)) return;
    stages.add(milestone);
    const times = this.times.get(name) ?? {};
    times[milestone] = Date.now();
    this.times.set(name, times);
  }

  private seen(type: string, pod: k8s.V1Pod): void {
    const name = pod.metadata?.name ?? "";
    const uid = pod.metadata?.uid ?? "";
    if (!name.startsWith(this.podPrefix)) return;
    if (this.reached.get(name)?.uid !== uid) {
      this.reached.set(name, { uid, stages: new Set() });
      this.ips.delete(name);
    }
    if (type === "DELETED") return this.mark(name, "gone", true);
    const container = pod.status?.containerStatuses?.[0];
    this.mark(name, "created", true);
    this.mark(name, "scheduled", Boolean(pod.spec?.nodeName));
    this.mark(name, "running", container?.state?.running !== undefined);
    this.mark(name, "started", container?.started === true);
    const ready = pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
    this.mark(name, "ready", ready === true);
    this.mark(name, "deleting", pod.metadata?.deletionTimestamp !== undefined);
    if (pod.status?.podIP) this.ips.set(name, pod.status.podIP);
  }

  private async probe(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      const waiting = [...this.reached].filter(
        ([name, r]) => r.stages.has("running") && !r.stages.has("serving") && this.ips.has(name),
      );
      await Promise.all(
        waiting.map(async ([name]) => {
          if (await probeOnce(LIVEZ, ETCD_CONTAINER, this.ips.get(name)!))
            this.mark(name, "serving", true);
        }),
      );
    } finally {
      this.probing = false;
    }
  }
}
