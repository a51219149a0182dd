/**
 * One stack of the real program on the local cluster, driven like the Pulumi CLI would drive it:
 * `up` with the stack config (the e2e stack file plus the settings a step changes), `destroy`.
 * The checkpoint and the dynamic resource's state stay in `stateDir` between runs.
 */
import { load } from "js-yaml";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Props } from "../../engine/providerProcess";
import { repoRoot } from "../support/repo";
import { type KilledRun, type RunControl, runProgram } from "./pulumiRun";
import type { ProgramJob } from "./runProgram";

export const PROJECT = "etcd-k8s";
export const E2E_STACK_FILE = "test/e2e/fixtures/Pulumi.e2e.yaml";

/** Stack settings as `pulumi config set` would hold them, before they become text. */
export type StackSettings = Record<string, string | number | boolean | object>;

/** The e2e stack file's settings, keyed without the project prefix. */
export function e2eStackSettings(root = repoRoot()): StackSettings {
  const file = path.join(root, E2E_STACK_FILE);
  const config = ((load(fs.readFileSync(file, "utf8")) as { config?: Props }).config ??
    {}) as StackSettings;
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [key.replace(`${PROJECT}:`, ""), value]),
  );
}

/** `<project>:<key>` to text, as the CLI passes config to a program: objects as JSON. */
export function configText(settings: StackSettings): Record<string, string> {
  return Object.fromEntries(
    Object.entries(settings).map(([key, value]) => [
      `${PROJECT}:${key}`,
      typeof value === "object" ? JSON.stringify(value) : String(value),
    ]),
  );
}

export interface RunResult {
  outputs: Props;
  log: string[];
  ms: number;
  /** The run was killed through `UpOptions.armed` (it did not fail: it was stopped). */
  killed?: KilledRun;
}

export interface UpOptions {
  refresh?: boolean;
  /** See `RunControl.armed`: a way to SIGKILL the run whenever the caller decides. */
  armed?: RunControl["armed"];
}

/** A run that exited with an error; the message holds the program's and provider's last lines. */
export class StackRunError extends Error {
  constructor(
    operation: string,
    readonly log: string[],
  ) {
    const errorAt = log.findIndex((line) => line.startsWith("error: "));
    const tail = errorAt >= 0 ? log.slice(errorAt) : log.slice(-20);
    super(`${operation} failed:\n${tail.join("\n")}`);
    this.name = "StackRunError";
  }
}

export interface StackOptions {
  stack: string;
  kubeconfigPath: string;
  stateDir: string;
  /** The stack config every run starts from (default: the e2e stack file). */
  base?: StackSettings;
  /** Every line the program and the provider print, as it arrives. */
  onLine?: (line: string) => void;
  /** Added to every run's environment (and so to the provider process's). */
  env?: NodeJS.ProcessEnv;
}

export class Stack {
  private settings: StackSettings;

  constructor(private readonly options: StackOptions) {
    this.settings = { ...(options.base ?? e2eStackSettings()) };
  }

  /** The current stack config, as `pulumi config` would list it. */
  get config(): StackSettings {
    return { ...this.settings };
  }

  /** `pulumi config set` for each key, then `pulumi up` (with `--refresh` when asked). */
  async up(changes: StackSettings = {}, options: UpOptions = {}): Promise<RunResult> {
    this.settings = { ...this.settings, ...changes };
    return this.run("up", options.refresh === true, options.armed);
  }

  async destroy(): Promise<RunResult> {
    return this.run("destroy", false);
  }

  private async run(
    operation: ProgramJob["operation"],
    refresh: boolean,
    armed?: RunControl["armed"],
  ): Promise<RunResult> {
    const started = Date.now();
    const run = await runProgram(
      {
        program: path.join(repoRoot(), "dist", "index.js"),
        project: PROJECT,
        stack: this.options.stack,
        config: configText(this.settings),
        kubeconfigPath: this.options.kubeconfigPath,
        stateDir: this.options.stateDir,
        operation,
        refresh,
      },
      this.options.onLine,
      { ...(this.options.env ? { env: this.options.env } : {}), ...(armed ? { armed } : {}) },
    );
    const ms = Date.now() - started;
    if (run.killed) return { outputs: run.outputs, log: run.log, ms, killed: run.killed };
    if (run.exitCode !== 0)
      throw new StackRunError(`${operation} of stack ${this.options.stack}`, run.log);
    return { outputs: run.outputs, log: run.log, ms };
  }
}
