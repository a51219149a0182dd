/**
 * A client that writes without pause through every member of a cluster on the local control plane,
 * one put at a time, for as long as a scenario runs, and remembers which writes etcd acknowledged.
 * Its endpoints are the pod IPs of the cluster's pods (as etcd3 takes a host list): looked up again
 * every second and whenever `refresh` is called, and the client is made anew whenever they change
 * (and at every `refresh`, i.e. after each step). At the end, `verify` reads every acknowledged
 * write back from each member alone.
 */
import * as k8s from "@kubernetes/client-node";
import type { Etcd3 } from "etcd3";
import type { ClusterIdentity } from "../../../model/naming";
import { type EtcdTLS, etcdClient } from "../clusterState";

/** After a failed put: a member paused or gone fails at once, which must not become a busy loop. */
const AFTER_FAILURE_MS = 100;
const ENDPOINTS_EVERY_MS = 1_000;
/** Keys per read when reading back (a range reply has a size limit). */
const PAGE = 2_000;

export interface WriterCounts {
  acknowledged: number;
  failed: number;
  /** Times the client was made anew (endpoints changed, or `refresh`). */
  clients: number;
  /** Longest time between two acknowledged writes, ms. */
  longestGapMs: number;
}

/** What happened between two `beginPhase` calls. */
export interface PhaseCounts {
  label: string;
  acknowledged: number;
  failed: number;
  /** Longest time without an acknowledged write that ended in this phase, ms. */
  longestGapMs: number;
}

export class ClusterWriter {
  readonly acknowledged = new Map<string, string>();
  private failed = 0;
  private clients = 0;
  private longestGapMs = 0;
  private phase: PhaseCounts = { label: "start", acknowledged: 0, failed: 0, longestGapMs: 0 };
  private running = true;
  private hosts: string[] = [];
  /** Set when the client must be made anew before the next put. */
  private wanted: string[] | undefined;
  private readonly loop: Promise<void>;
  private readonly poller: ReturnType<typeof setInterval>;

  constructor(
    private readonly kubeConfig: k8s.KubeConfig,
    private readonly cluster: ClusterIdentity,
    private readonly prefix: string,
    private readonly tls?: EtcdTLS,
  ) {
    this.poller = setInterval(() => void this.lookUp(false), ENDPOINTS_EVERY_MS);
    this.loop = this.write();
  }

  /** Pod IPs of the cluster's pods that are not being deleted. */
  private async endpoints(): Promise<string[]> {
    const pods = await this.kubeConfig
      .makeApiClient(k8s.CoreV1Api)
      .listNamespacedPod({ namespace: this.cluster.namespace });
    return pods.items
      .filter((p) => p.metadata?.name?.startsWith(`${this.cluster.name}-`))
      .filter((p) => !p.metadata?.deletionTimestamp && p.status?.podIP)
      .map((p) => p.status!.podIP!)
      .sort();
  }

  private async lookUp(always: boolean): Promise<void> {
    try {
      const hosts = await this.endpoints();
      if (always || hosts.join() !== (this.wanted ?? this.hosts).join()) this.wanted = hosts;
    } catch {
      // The API server busy for a moment: the next look will do.
    }
  }

  /** After a step: look up the endpoints now and make a new client before the next put. */
  async refresh(): Promise<void> {
    await this.lookUp(true);
  }

  private async write(): Promise<void> {
    let client: Etcd3 | undefined;
    // Counted from the first acknowledged write: before it there may be no cluster yet.
    let lastAck: number | undefined;
    try {
      for (let n = 0; this.running; n++) {
        if (this.wanted) {
          client?.close();
          this.hosts = this.wanted;
          this.wanted = undefined;
          client = this.hosts.length > 0 ? etcdClient(this.hosts, 3_000, this.tls) : undefined;
          this.clients++;
        }
        if (!client) {
          await sleep(AFTER_FAILURE_MS);
          continue;
        }
        const key = `${this.prefix}${String(n).padStart(8, "0")}`;
        const value = `value-${n}`;
        try {
          await client.put(key).value(value);
          this.acknowledged.set(key, value);
          const now = Date.now();
          const gap = now - (lastAck ?? now);
          this.longestGapMs = Math.max(this.longestGapMs, gap);
          this.phase.longestGapMs = Math.max(this.phase.longestGapMs, gap);
          this.phase.acknowledged++;
          lastAck = now;
        } catch {
          // Not acknowledged: it may or may not have been applied, so it is not checked.
          this.failed++;
          this.phase.failed++;
          await sleep(AFTER_FAILURE_MS);
        }
      }
    } finally {
      client?.close();
    }
  }

  counts(): WriterCounts {
    return {
      acknowledged: this.acknowledged.size,
      failed: this.failed,
      clients: this.clients,
      longestGapMs: this.longestGapMs,
    };
  }

  /** Starts counting a new phase (e.g. one step), and returns the counts of the one it ends. */
  beginPhase(label: string): PhaseCounts {
    const ended = this.phase;
    this.phase = { label, acknowledged: 0, failed: 0, longestGapMs: 0 };
    return ended;
  }

  async stop(): Promise<WriterCounts> {
    this.running = false;
    clearInterval(this.poller);
    await this.loop;
    return this.counts();
  }

  /**
   * Every acknowledged write, read back from the member at `podIP` alone (serializable reads).
   * Returns the keys that are missing or hold another value there.
   */
  async missingOn(podIP: string): Promise<string[]> {
    const client = etcdClient(podIP, 10_000, this.tls);
    const seen = new Map<string, string>();
    try {
      const end = `${this.prefix.slice(0, -1)}${String.fromCharCode(this.prefix.charCodeAt(this.prefix.length - 1) + 1)}`;
      let start = this.prefix;
      for (;;) {
        const page = await client
          .getAll()
          .inRange({ start, end })
          .sort("Key", "Ascend")
          .limit(PAGE)
          .serializable(true)
          .strings();
        const keys = Object.keys(page).sort();
        for (const key of keys) seen.set(key, page[key]);
        if (keys.length < PAGE) break;
        start = `${keys[keys.length - 1]}\0`;
      }
    } finally {
      client.close();
    }
    return [...this.acknowledged].filter(([k, v]) => seen.get(k) !== v).map(([k]) => k);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
