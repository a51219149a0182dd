/**
 * "No voter is ever without its pod for longer than the step that removes it", watched from the
 * outside while one `up` runs: about every 250 ms the member list (from whichever member answers
 * first, by pod IP) and the pods (from the API). A voter whose pod is absent or being deleted is a
 * violation unless the same `up` removes that voter from the member list.
 */
import * as k8s from "@kubernetes/client-node";
import { type ClusterIdentity, peerURL, podName } from "../../../model/naming";
import { type EtcdTLS, etcdClient, hexId } from "../clusterState";
import { stamp } from "./times";

const EVERY_MS = 250;
/** A paused member must not hold a sample up for long: another one answers, or none does. */
const MEMBER_LIST_DEADLINE_MS = 1_000;
/** Peer URLs are matched to ordinals up to here. */
const MAX_ORDINAL = 16;

interface PodSeen {
  terminating: boolean;
  podIP?: string;
}

interface Sample {
  atMs: number;
  pods: Map<string, PodSeen>;
  /** Voters by ID with their pod's name; undefined when no member answered. */
  voters?: Map<string, string>;
}

export interface Violation {
  /** The voter's pod name and member ID. */
  voter: string;
  id: string;
  pod: "absent" | "terminating";
  /** First and last sample (Date.now()) that saw it so. */
  fromMs: number;
  toMs: number;
}

export interface MonitorReport {
  label: string;
  samples: number;
  /** Samples in which some member answered with the member list. */
  withMembers: number;
  /** Voters seen without their pod but removed within the same `up`: allowed. */
  excused: Violation[];
  violations: Violation[];
}

export function describeViolation(v: Violation): string {
  return `${v.voter} (member ${v.id}) a voter with its pod ${v.pod} from ${stamp(v.fromMs)} to ${stamp(v.toMs)}`;
}

export class VoterMonitor {
  private samples: Sample[] = [];
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private label = "";
  private readonly podOf = new Map<string, string>();

  constructor(
    private readonly kubeConfig: k8s.KubeConfig,
    private readonly cluster: ClusterIdentity,
    private readonly tls?: EtcdTLS,
  ) {
    for (let k = 0; k < MAX_ORDINAL; k++) this.podOf.set(peerURL(cluster, k), podName(cluster, k));
  }

  /** Starts sampling for one `up`; `stop` ends it and judges what was seen. */
  start(label: string): void {
    if (this.running) throw new Error(`the voter monitor is already watching ${this.label}`);
    this.label = label;
    this.samples = [];
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        const started = Date.now();
        const sample = await this.sample().catch(() => undefined);
        if (sample) this.samples.push(sample);
        await sleep(Math.max(0, EVERY_MS - (Date.now() - started)));
      }
    })();
  }

  async stop(): Promise<MonitorReport> {
    this.running = false;
    await this.loop;
    return this.judge();
  }

  private async sample(): Promise<Sample> {
    const atMs = Date.now();
    const list = await this.kubeConfig
      .makeApiClient(k8s.CoreV1Api)
      .listNamespacedPod({ namespace: this.cluster.namespace });
    const pods = new Map<string, PodSeen>();
    for (const p of list.items) {
      const name = p.metadata?.name ?? "";
      if (!name.startsWith(`${this.cluster.name}-`)) continue;
      pods.set(name, {
        terminating: p.metadata?.deletionTimestamp !== undefined,
        ...(p.status?.podIP ? { podIP: p.status.podIP } : {}),
      });
    }
    const voters = await this.voters([...pods.values()].flatMap((p) => p.podIP ?? []));
    return { atMs, pods, ...(voters ? { voters } : {}) };
  }

  /** The voters from the first member that answers; undefined when none does. */
  private async voters(podIPs: string[]): Promise<Map<string, string> | undefined> {
    if (podIPs.length === 0) return undefined;
    const clients = podIPs.map((ip) => etcdClient(ip, MEMBER_LIST_DEADLINE_MS, this.tls));
    try {
      const list = await Promise.any(clients.map((c) => c.cluster.memberList({})));
      const voters = new Map<string, string>();
      for (const m of list.members) {
        if (m.isLearner) continue;
        const pod = m.peerURLs.map((u) => this.podOf.get(u)).find(Boolean) ?? (m.name || "?");
        voters.set(hexId(m.ID), pod);
      }
      return voters;
    } catch {
      return undefined;
    } finally {
      for (const c of clients) c.close();
    }
  }

  private judge(): MonitorReport {
    const seen = new Map<string, Violation>();
    for (const s of this.samples) {
      for (const [id, pod] of s.voters ?? []) {
        const state = s.pods.get(pod);
        if (state && !state.terminating) continue;
        const kind = state ? "terminating" : "absent";
        const key = `${id} ${kind}`;
        const earlier = seen.get(key);
        if (earlier) earlier.toMs = s.atMs;
        else seen.set(key, { voter: pod, id, pod: kind, fromMs: s.atMs, toMs: s.atMs });
      }
    }
    const excused: Violation[] = [];
    const violations: Violation[] = [];
    for (const v of seen.values()) {
      const removed = this.samples.some(
        (s) => s.atMs > v.fromMs && s.voters !== undefined && !s.voters.has(v.id),
      );
      (removed ? excused : violations).push(v);
    }
    return {
      label: this.label,
      samples: this.samples.length,
      withMembers: this.samples.filter((s) => s.voters).length,
      excused,
      violations,
    };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
