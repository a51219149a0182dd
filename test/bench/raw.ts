/**
 * The raw minimum a scale step costs: the same etcd operations and process starts as the provider,
 * scripted directly with etcd3 (one client per endpoint, deadlines, the same retry of etcd's
 * transient refusals and the same growing poll), without observing or planning anything.
 */
import * as cockatiel from "cockatiel";
import * as etcd3 from "etcd3";
import { pollUntil, retryWithin } from "../../providers/backoff";
import { DEFAULT_ADMIN_OPTIONS } from "../../providers/etcd/admin";
import { WAIT_POLL } from "../../providers/membership/reconciler";
import type { LocalWorkload } from "../harness/localWorkload";

type ClientPolicy = NonNullable<NonNullable<etcd3.IOptions["faultHandling"]>["global"]>;
const TRANSIENT =
  /unhealthy cluster|in sync with leader|not enough started members|No connection established/;
const POLL = { budgetMs: 300_000, ...WAIT_POLL };

export class RawScaler {
  private readonly clients = new Map<number, etcd3.Etcd3>();

  constructor(private readonly workload: LocalWorkload) {}

  private client(ordinal: number): etcd3.Etcd3 {
    let c = this.clients.get(ordinal);
    if (!c) {
      const noRetry = cockatiel.noop as unknown as ClientPolicy;
      c = new etcd3.Etcd3({
        hosts: `http://${this.workload.ip(ordinal)}:2379`,
        faultHandling: { host: () => noRetry, global: noRetry },
        defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + 5_000 }),
      });
      this.clients.set(ordinal, c);
    }
    return c;
  }

  private retry<T>(call: () => Promise<T>): Promise<T> {
    return retryWithin(DEFAULT_ADMIN_OPTIONS.retry, (e) => TRANSIENT.test(String(e)), call);
  }

  private initialCluster(count: number): string {
    return Array.from({ length: count }, (_, k) => this.workload.slot(k))
      .map((s) => `${s.name}=${s.peerURL}`)
      .join(",");
  }

  async bootstrap(): Promise<void> {
    await this.workload.writeJoinConfig({ state: "new", initialCluster: this.initialCluster(1) });
    await this.workload.scale(1);
    await pollUntil(POLL, () =>
      this.client(0)
        .maintenance.status()
        .then(
          (s) => (s.leader !== "0" ? true : undefined),
          () => undefined,
        ),
    );
  }

  /** Learner add, join configuration, pod start, caught up, promote: members 0..k-1 exist. */
  async grow(k: number, leader: number): Promise<void> {
    const slot = this.workload.slot(k);
    const { member } = await this.retry(() =>
      this.client(leader).cluster.memberAdd({ peerURLs: [slot.peerURL], isLearner: true }),
    );
    await this.workload.writeJoinConfig({
      state: "existing",
      initialCluster: this.initialCluster(k + 1),
    });
    await this.workload.scale(k + 1);
    await pollUntil(POLL, async () => {
      try {
        const [mine, theirs] = await Promise.all([
          this.client(k).maintenance.status(),
          this.client(leader).maintenance.status(),
        ]);
        return Number(mine.raftAppliedIndex) >= Math.floor(Number(theirs.raftIndex) * 0.9)
          ? true
          : undefined;
      } catch {
        return undefined;
      }
    });
    await this.retry(() => this.client(leader).cluster.memberPromote({ ID: member.ID }));
  }

  /** Leadership moved away if needed, member removed, pod stopped, volume deleted. */
  async shrink(m: number): Promise<void> {
    const status = await this.client(m).maintenance.status();
    const own = status.header.member_id;
    let leader = m;
    if (status.leader === own) {
      const target = await this.client(0).maintenance.status();
      await this.client(m).maintenance.moveLeader({ targetID: target.header.member_id });
      leader = 0;
    } else {
      for (let k = 0; k < m; k++) {
        const s = await this.client(k).maintenance.status();
        if (s.leader === s.header.member_id) leader = k;
      }
    }
    await this.retry(() => this.client(leader).cluster.memberRemove({ ID: own }));
    this.forget(m);
    await this.workload.scale(m);
    await this.workload.deleteVolume(m);
  }

  /** The ordinal that leads now. */
  async leader(count: number): Promise<number> {
    for (let k = 0; k < count; k++) {
      const s = await this.client(k).maintenance.status();
      if (s.leader === s.header.member_id) return k;
    }
    throw new Error("no member leads");
  }

  private forget(ordinal: number): void {
    this.clients.get(ordinal)?.close();
    this.clients.delete(ordinal);
  }

  close(): void {
    for (const k of [...this.clients.keys()]) this.forget(k);
  }
}
