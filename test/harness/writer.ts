/**
 * A client that writes without pause, one put at a time, and remembers which writes etcd
 * acknowledged and when: tests read them all back, the soak run measures the gaps between them.
 */
import { dataClient } from "./localCluster";

export class ContinuousWriter {
  readonly acknowledged = new Map<string, string>();
  /** performance.now() of every acknowledgement, in order. */
  readonly ackTimes: number[] = [];
  failed = 0;
  private running = true;
  private readonly done: Promise<void>;

  constructor(urls: string[], prefix = "writer") {
    const client = dataClient(urls);
    this.done = (async () => {
      try {
        for (let n = 0; this.running; n++) {
          const key = `${prefix}/${String(n).padStart(7, "0")}`;
          const value = `value-${n}`;
          try {
            await client.put(key).value(value);
            this.acknowledged.set(key, value);
            this.ackTimes.push(performance.now());
          } catch {
            // Not acknowledged: it may or may not have been applied, so it is not checked.
            this.failed++;
          }
        }
      } finally {
        client.close();
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
  }

  /** Longest time without an acknowledgement within [from, to] (performance.now() times). */
  longestGap(from: number, to: number): number {
    let last = from;
    let longest = 0;
    for (const t of this.ackTimes) {
      if (t < from) continue;
      if (t > to) break;
      longest = Math.max(longest, t - last);
      last = t;
    }
    return Math.max(longest, to - last);
  }
}
