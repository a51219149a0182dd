/**
 * Detached etcd processes tracked through pid files, so any process (a test, a provider that gets
 * killed, its rerun) sees the same "pods". Node built-ins only: the local workload is serialized by
 * value together with the provider.
 */
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import { pollUntil } from "../../providers/backoff";

export function readPid(pidFile: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(pidFile, "utf8"));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** True when `pid` is a live (not zombie) process of `binary`; a reused pid does not count. */
export function isAlive(pid: number, binary: string): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (state === "Z" || state === "X") return false;
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")[0] === binary;
  } catch {
    return false;
  }
}

/** Starts `binary` in its own process group with its output appended to `logFile`. */
export function startDetached(
  binary: string,
  env: Record<string, string>,
  logFile: string,
): number {
  const log = fs.openSync(logFile, "a");
  try {
    const child = childProcess.spawn(binary, [], {
      env,
      detached: true,
      stdio: ["ignore", log, log],
    });
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start ${binary}`);
    return child.pid;
  } finally {
    fs.closeSync(log);
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/** SIGTERM, then SIGKILL once the grace period is over, like a kubelet; resolves when it is gone. */
export async function stopProcess(pid: number, binary: string, graceMs: number): Promise<void> {
  const gone = async () => (isAlive(pid, binary) ? undefined : true);
  const budget = (ms: number) => ({ budgetMs: ms, initialDelayMs: 10, maxDelayMs: 200 });
  signal(pid, "SIGTERM");
  if (await pollUntil(budget(graceMs), gone)) return;
  signal(pid, "SIGKILL");
  if (await pollUntil(budget(10_000), gone)) return;
  throw new Error(`etcd process ${pid} survived SIGKILL`);
}

const FAILURE_LEVELS = new Set(["error", "fatal", "panic"]);

/** The last error etcd logged (zap JSON lines), as "message: error". */
export function lastLoggedFailure(logFile: string): string | undefined {
  let text: string;
  try {
    text = fs.readFileSync(logFile, "utf8");
  } catch {
    return undefined;
  }
  const lines = text.trimEnd().split("\n").slice(-200).reverse();
  for (const line of lines) {
    try {
      const entry = JSON.parse(line) as { level?: string; msg?: string; error?: string };
      const removed = entry.error?.includes("permanently removed");
      if (removed || FAILURE_LEVELS.has(entry.level ?? ""))
        return entry.error ? `${entry.msg}: ${entry.error}` : entry.msg;
    } catch {
      // Not a JSON log line (e.g. a Go panic trace): skip it.
    }
  }
  return undefined;
}
