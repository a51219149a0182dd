/** Starts reconcileRunner.js in a child process and collects what it prints. */
import * as childProcess from "node:child_process";
import * as path from "node:path";
import type { RunnerSpec } from "./reconcileRunner";

export const RUNNER = path.join(__dirname, "reconcileRunner.js");

export interface Ended {
  signal: NodeJS.Signals | null;
  code: number | null;
  output: string;
}

/** Runs the reconciler in a child; `killWhen` lets the parent SIGKILL it on a progress line. */
export function runReconciler(spec: RunnerSpec, killWhen?: RegExp): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = childProcess.spawn(process.execPath, [RUNNER, JSON.stringify(spec)]);
    let output = "";
    const take = (chunk: Buffer) => {
      output += chunk.toString();
      if (killWhen?.test(output) && child.exitCode === null) child.kill("SIGKILL");
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, output }));
  });
}

/** The progress lines a runner printed, with their times (ms). */
export function progressLines(output: string): Array<{ at: number; line: string }> {
  return output
    .split("\n")
    .map((l) => /^(\d+) (\[etcd membership\] .*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ at: Number(m[1]), line: m[2] }));
}
