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

export interface ProgramRun {
  exitCode: number | null;
  outputs: Props;
  log: string[];
}

/** Runs in flight: a parent that exits (Ctrl-C in the demo, a failed test) ends them too. */
const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGTERM");
});

export async function runProgram(
  job: ProgramJob,
  onLine: (line: string) => void = () => {},
): Promise<ProgramRun> {
  const jobFile = path.join(job.stateDir, `job-${job.operation}.json`);
  fs.mkdirSync(job.stateDir, { recursive: true });
  fs.writeFileSync(jobFile, JSON.stringify(job));
  const child = spawn(process.execPath, [path.join(__dirname, "runProgram.js"), jobFile], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const log: string[] = [];
  let outputs: Props = {};
  const collect = (line: string) => {
    if (line.startsWith("OUTPUTS ")) outputs = JSON.parse(line.slice("OUTPUTS ".length)) as Props;
    else {
      log.push(line);
      onLine(line);
    }
  };
  readline.createInterface({ input: child.stdout }).on("line", collect);
  readline.createInterface({ input: child.stderr }).on("line", collect);
  const exitCode = await new Promise<number | null>((resolve) => child.once("close", resolve));
  running.delete(child);
  return { exitCode, outputs, log };
}
