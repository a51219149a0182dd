/**
 * Child processes that never outlive the test run: each one is tracked from spawn to exit, its
 * output goes to a log file, and whatever is still running when Node exits (normally, on an
 * uncaught error, or on an unhandled SIGINT/SIGTERM) is killed.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import { signalProcess } from "./pids";

export interface ProcessSpec {
  /** Short name for messages, e.g. `kube-apiserver`. */
  name: string;
  command: string;
  args: string[];
  /** The complete environment: nothing is inherited, so stray ETCD_* variables cannot leak in. */
  env: Record<string, string>;
  cwd?: string;
  /** Run as this user and group (the parent must be root). */
  uid?: number;
  gid?: number;
  /** stdout and stderr are appended here. */
  logFile: string;
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all. */
  error?: Error;
}

const live = new Set<ManagedProcess>();
let hooksInstalled = false;

function killAllNow(): void {
  for (const child of live) child.signal("SIGKILL");
}

const SIGNAL_EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

/**
 * SIGINT/SIGTERM when nothing else handles them: kill the children and exit through
 * process.exit, so that other exit hooks (such as restoring /etc/hosts) still run. A program
 * that handles the signal itself (to stop gracefully) is left to do so.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  killAllNow();
  process.exit(SIGNAL_EXIT_CODES[signal] ?? 1);
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", killAllNow);
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

/** The last non-empty line of a log file (at most its last 64 KiB are read). */
export function lastLogLine(logFile: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(logFile, "r");
  } catch {
    return undefined;
  }
  try {
    const size = fs.fstatSync(fd).size;
    const length = Math.min(size, 64 * 1024);
    const buffer = Buffer.alloc(length);
    fs.readSync(fd, buffer, 0, length, size - length);
    const lines = buffer
      .toString("utf8")
      .split("\n")
      .map((l) => l.trim());
    return lines.filter((l) => l.length > 0).pop();
  } finally {
    fs.closeSync(fd);
  }
}

/** The last `count` lines of a log file, for error messages. */
export function logTail(logFile: string, count = 15): string {
  try {
    return fs.readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-count).join("\n");
  } catch {
    return "(no log)";
  }
}

export class ManagedProcess {
  readonly pid: number | undefined;
  /** Resolves once the process has exited (or failed to start). */
  readonly exited: Promise<ExitInfo>;
  private exit: ExitInfo | undefined;

  private constructor(readonly spec: ProcessSpec) {
    installExitHooks();
    const log = fs.openSync(spec.logFile, "a");
    let child;
    try {
      child = spawn(spec.command, spec.args, {
        env: spec.env,
        cwd: spec.cwd,
        uid: spec.uid,
        gid: spec.gid,
        stdio: ["ignore", log, log],
      });
    } finally {
      fs.closeSync(log);
    }
    this.pid = child.pid;
    live.add(this);
    this.exited = new Promise((resolve) => {
      const done = (info: ExitInfo) => {
        if (this.exit !== undefined) return;
        this.exit = info;
        live.delete(this);
        resolve(info);
      };
      child.once("error", (error) => done({ code: null, signal: null, error }));
      child.once("exit", (code, signal) => done({ code, signal }));
    });
  }

  static start(spec: ProcessSpec): ManagedProcess {
    return new ManagedProcess(spec);
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  get exitInfo(): ExitInfo | undefined {
    return this.exit;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.exit !== undefined || this.pid === undefined) return;
    signalProcess(this.pid, signal);
  }

  /** SIGTERM, then SIGKILL once `graceMs` has passed; resolves when the process is gone. */
  async stop(graceMs: number): Promise<ExitInfo> {
    if (this.exit !== undefined) return this.exit;
    this.signal("SIGTERM");
    const timer = setTimeout(() => this.signal("SIGKILL"), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** How it ended, for messages: `exit code 1`, `signal SIGKILL`, or the spawn error. */
  static describe(info: ExitInfo): string {
    if (info.error !== undefined) return `could not start: ${info.error.message}`;
    return info.signal !== null ? `signal ${info.signal}` : `exit code ${info.code}`;
  }
}

/** Processes still running, for tests that check nothing was left behind. */
export function liveProcesses(): ManagedProcess[] {
  return [...live];
}
