/**
 * One `pulumi` command in a child process: every line it prints, as it comes, its exit code and,
 * when asked, a SIGKILL at a moment of the caller's choosing.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as readline from "node:readline";
import { commandLine, descendants, signalProcess } from "../support/pids";

/**
 * How a run is killed: "cli" kills only the `pulumi` process, as `kill -9 <pid>` would, and leaves
 * its plugins (language host, Kubernetes plugin, the dynamic provider) running without it; "tree"
 * kills the CLI and every plugin process it started, as a machine that dies would.
 */
export type KillScope = "cli" | "tree";

/** A run stopped with SIGKILL. */
export interface KilledRun {
  scope: KillScope;
  /** Date.now() right before the signal was sent. */
  atMs: number;
  /** Date.now() when the CLI's exit was seen. */
  exitedAtMs?: number;
  /** The last line the run had printed by then. */
  lastLine?: string;
  /** The processes the CLI had started, then: with scope "cli" they outlive it. */
  orphans: number[];
  /** Their command lines, then (one may exit the moment after). */
  commands: string[];
}

export interface RunControl {
  /**
   * Called once the run has started, with `kill`, which SIGKILLs it whenever the caller calls it;
   * later calls, or calls after the run ended, do nothing.
   */
  armed?: (kill: (scope?: KillScope) => void) => void;
}

export interface PulumiRun {
  exitCode: number | null;
  /** stdout and stderr, line by line, in the order they arrived. */
  log: string[];
  /** stdout alone (what `--json` commands print). */
  stdout: string[];
  ms: number;
  killed?: KilledRun;
}

/** Runs in flight: a parent that exits (Ctrl-C in the demo, a failed test) ends them too. */
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGTERM");
});

export async function runPulumi(
  binary: string,
  args: string[],
  options: {
    cwd: string;
    env: NodeJS.ProcessEnv;
    onLine?: (line: string) => void;
    stdin?: string;
  } & RunControl,
): Promise<PulumiRun> {
  const started = Date.now();
  const child = spawn(binary, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
  });
  if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  running.add(child);
  const log: string[] = [];
  const stdout: string[] = [];
  let killed: KilledRun | undefined;
  let closed = false;
  const kill = (scope: KillScope = "cli") => {
    if (killed || closed || child.pid === undefined) return;
    const orphans = descendants(child.pid);
    const commands = orphans.map(commandLine);
    killed = { scope, atMs: Date.now(), lastLine: log[log.length - 1], orphans, commands };
    child.kill("SIGKILL");
    if (scope === "tree") for (const pid of orphans) signalProcess(pid, "SIGKILL");
  };
  const collect = (line: string) => {
    log.push(line);
    options.onLine?.(line);
  };
  options.armed?.(kill);
  readline.createInterface({ input: child.stdout! }).on("line", (line) => {
    stdout.push(line);
    collect(line);
  });
  readline.createInterface({ input: child.stderr! }).on("line", collect);
  child.once("exit", () => {
    if (killed) killed.exitedAtMs = Date.now();
  });
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  closed = true;
  running.delete(child);
  return { exitCode, log, stdout, ms: Date.now() - started, ...(killed ? { killed } : {}) };
}
