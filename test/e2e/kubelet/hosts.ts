/**
 * Name resolution for pods through /etc/hosts, which both Node's dns.lookup (getaddrinfo) and Go's
 * resolver (etcd is built with CGO_ENABLED=0) read. The kubelet owns one clearly marked block; it
 * rewrites only that block, and `restore()` removes it, leaving the file exactly as it found it.
 * Blocks left by a kubelet that died without restoring are removed when a new one starts.
 *
 * Go caches /etc/hosts for up to 5 seconds, so an etcd process may see a new name a little late;
 * it retries, as it would while cluster DNS catches up.
 */
import * as fs from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

export interface HostsEntry {
  ip: string;
  names: string[];
}

/** One kubelet's block, any kubelet's: `pid` names the process that wrote it. */
export const hostsBlockPattern =
  /^# BEGIN etcd-k8s process-kubelet pid (\d+) [^\n]*\n(?:.*\n)*?# END etcd-k8s process-kubelet pid \1[^\n]*\n/gm;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Text of `/etc/hosts` without the blocks of kubelets that are no longer running. */
export function withoutStaleBlocks(text: string): string {
  return text.replace(hostsBlockPattern, (block, pid: string) => (alive(Number(pid)) ? block : ""));
}

export class HostsFile {
  /** Exactly what the last write added, so that it can be taken out again unchanged. */
  private inserted = "";
  private readonly begin: string;
  private readonly end: string;

  constructor(
    readonly file: string,
    owner: string,
  ) {
    this.begin = `# BEGIN etcd-k8s process-kubelet pid ${process.pid} ${owner}`;
    this.end = `# END etcd-k8s process-kubelet pid ${process.pid} ${owner}`;
  }

  /** Replaces this kubelet's block with `entries` (an empty list removes the block). */
  async write(entries: HostsEntry[]): Promise<void> {
    await this.locked(() => this.edit(entries));
  }

  async restore(): Promise<void> {
    await this.write([]);
  }

  /** Removes the block at once, without waiting for the lock: for a process that is exiting. */
  restoreNow(): void {
    if (this.inserted !== "") this.edit([]);
  }

  private edit(entries: HostsEntry[]): void {
    const current = fs.readFileSync(this.file, "utf8");
    const base = withoutStaleBlocks(this.withoutOwnBlock(current));
    if (entries.length === 0) {
      this.inserted = "";
    } else {
      const lines = entries.map((e) => `${e.ip}\t${e.names.join(" ")}`);
      const separator = base === "" || base.endsWith("\n") ? "" : "\n";
      this.inserted = `${separator}${this.begin}\n${lines.join("\n")}\n${this.end}\n`;
    }
    const next = base + this.inserted;
    // In place, not by rename: /etc/hosts is often a bind mount that cannot be replaced.
    if (next !== current) fs.writeFileSync(this.file, next);
  }

  private withoutOwnBlock(text: string): string {
    return this.inserted !== "" && text.includes(this.inserted)
      ? text.replace(this.inserted, "")
      : text;
  }

  /**
   * Serializes edits with other process kubelets on this machine (a lock directory; one left by a
   * killed kubelet is taken over after about 20 seconds).
   */
  private async locked(edit: () => void): Promise<void> {
    const lock = "/tmp/etcd-k8s-hosts.lock";
    for (let attempt = 0; ; attempt++) {
      try {
        fs.mkdirSync(lock);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        if (attempt === 200) fs.rmSync(lock, { recursive: true, force: true });
        await sleep(Math.min(5 * 2 ** Math.min(attempt, 5), 100));
      }
    }
    try {
      edit();
    } finally {
      fs.rmdirSync(lock);
    }
  }
}
