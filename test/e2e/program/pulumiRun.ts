/**
 * Runs the program once in a child process (each `pulumi up` is a fresh process too) and collects
 * what it printed and the stack outputs.
 */
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import type { Props } from "../../engine/providerProcess";
import type { ProgramJob } from "./runProgram";
import { childProcesses } from "../support/processTree";

export interface ProgramRun {
  exitCode: number | null;
  outputs: Props;
  log: string[];
  /** Set when the run was killed through `RunControl.armed`. */
  killed?: KilledRun;
}

/** A run stopped with SIGKILL, as `kill -9` of the Pulumi CLI would stop it. */
export interface KilledRun {
  /** Date.now() right before the signal was sent. */
  atMs: number;
  /**
   * Date.now() when its exit was seen: its children were re-parented by then. Until then they may
   * still find it alive (a kill takes a moment to land on a busy machine).
   */
  exitedAtMs?: number;
  /** The last line the run had printed by then. */
  lastLine?: string;
  /** The run's own child processes at that moment (the dynamic provider): they outlive it. */
  orphans: number[];
}

export interface RunControl {
  /** Added to the run's environment (which the provider process inherits). */
  env?: NodeJS.ProcessEnv;
  /**
   * Called once the run has started, with `kill`: it SIGKILLs the run (not its children, which
   * it leaves orphaned, as `kill -9` of the Pulumi CLI does) whenever the caller calls it; calls
   * after the first, or after the run ended, do nothing.
   */
  armed?: (kill: () => void) => void;
}

/** Runs in flight: a parent that exits (Ctrl-C in the demo, a failed test) ends them too. */
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGTERM");
});

export async function runProgram(
  job: ProgramJob,
  onLine: (line: string) => void = () => {},
  control: RunControl = {},
): Promise<ProgramRun> {
  const jobFile = path.join(job.stateDir, `job-${job.operation}.json`);
  fs.mkdirSync(job.stateDir, { recursive: true });
  fs.writeFileSync(jobFile, JSON.stringify(job));
  const child = spawn(process.execPath, [path.join(__dirname, "runProgram.js"), jobFile], {
    stdio: ["ignore", "pipe", "pipe"],
    ...(control.env ? { env: { ...process.env, ...control.env } } : {}),
  });
  running.add(child);
  const log: string[] = [];
  let outputs: Props = {};
  let killed: KilledRun | undefined;
  let closed = false;
  const kill = () => {
    if (killed || closed || child.pid === undefined) return;
    const orphans = childProcesses(child.pid);
    killed = { atMs: Date.now(), lastLine: log[log.length - 1], orphans };
    child.kill("SIGKILL");
  };
  const collect = (line: string) => {
    if (line.startsWith("OUTPUTS ")) outputs = JSON.parse(line.slice("OUTPUTS ".length)) as Props;
    else {
      log.push(line);
      onLine(line);
    }
  };
  control.armed?.(kill);
  readline.createInterface({ input: child.stdout }).on("line", collect);
  readline.createInterface({ input: child.stderr }).on("line", collect);
  child.once("exit", () => {
    if (killed) killed.exitedAtMs = Date.now();
  });
  const exitCode = await new Promise<number | null>((resolve) => child.once("close", resolve));
  closed = true;
  running.delete(child);
  return { exitCode, outputs, log, ...(killed ? { killed } : {}) };
}
