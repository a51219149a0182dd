/**
 * One stack of this project, driven through the real Pulumi CLI as a user drives it: `stack init`,
 * `config set-all`, `preview --diff`, `up --yes`, `refresh --yes`, `destroy --yes`, `cancel`. The
 * program is the repository's own (Pulumi.yaml, index.ts); the stack's state (a file backend) and
 * its config file live in a directory of the caller's, so stacks never touch the repository.
 */
import { load } from "js-yaml";
import * as fs from "node:fs";
import * as path from "node:path";
import { repoRoot } from "../support/repo";
import { PROGRESS_MARK } from "./output";
import { type KilledRun, type PulumiRun, type RunControl, runPulumi } from "./run";
import { pulumiToolchain } from "./toolchain";

export const PROJECT = "etcd-k8s";
export const E2E_STACK_FILE = "test/e2e/fixtures/Pulumi.e2e.yaml";
/** Encrypts the test stacks' secrets (passphrase secrets provider); never a real secret. */
const TEST_PASSPHRASE = "etcd-k8s-e2e";

/** Stack settings keyed without the project prefix, before they become config values. */
export type StackSettings = Record<string, string | number | boolean | object>;

/** The e2e stack file's settings. */
export const e2eStackSettings = (root = repoRoot()): StackSettings =>
  stackFileSettings(path.join(root, E2E_STACK_FILE));

/** A stack file's settings, keyed without the project prefix. */
export function stackFileSettings(file: string): StackSettings {
  const config = (load(fs.readFileSync(file, "utf8")) as { config?: StackSettings }).config ?? {};
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [key.replace(`${PROJECT}:`, ""), value]),
  );
}

export interface RunResult {
  /** The stack outputs after the run (secret ones as `[secret]`); empty after a killed run. */
  outputs: Record<string, unknown>;
  log: string[];
  ms: number;
  /** The run was killed through `UpOptions.armed` (it did not fail: it was stopped). */
  killed?: KilledRun;
}

export interface UpOptions extends RunControl {
  /** `pulumi up --refresh`. */
  refresh?: boolean;
}

/** A command that exited with an error; the message holds the CLI's diagnostics. */
export class StackRunError extends Error {
  constructor(
    command: string,
    readonly log: string[],
  ) {
    const diagnostics = log.findIndex((line) => /^Diagnostics:/.test(line));
    const tail = diagnostics >= 0 ? log.slice(diagnostics) : log.slice(-20);
    super(`${command} failed:\n${tail.join("\n")}`);
    this.name = "StackRunError";
  }
}

/**
 * The provider's first `error: ` line of a failed run, trimmed; else the run's first. The CLI
 * also reports the failure under the stack ("error: update failed"), in either order.
 */
export function firstError(log: string[]): string | undefined {
  const errors = log.map((l) => l.trim()).filter((l) => l.startsWith("error: "));
  return errors.find((l) => l.includes(PROGRESS_MARK)) ?? errors[0];
}

export interface PulumiStackOptions {
  stack: string;
  kubeconfigPath: string;
  /** Holds the file backend and the stack's config file. */
  workDir: string;
  /** The stack config the stack starts with (default: the e2e stack file). */
  base?: StackSettings;
  /** Every line the CLI prints, as it arrives. */
  onLine?: (line: string) => void;
  /** Added to every command's environment (and so to the plugins'). */
  env?: NodeJS.ProcessEnv;
  /** The folder of the project's Pulumi.yaml (default: the repository, this project). */
  projectDir?: string;
}

/**
 * Which stack flags a command takes: "config" (`--stack` and `--config-file`: config, preview, up,
 * refresh, destroy), "stack" (`--stack` only: stack output, stack export, cancel) or "none".
 */
interface StackFlags {
  scope?: "config" | "stack" | "none";
}

/** `pulumi config --json`'s shape, which `config set-all --json` reads. */
function configJson(settings: StackSettings): string {
  const entries = Object.entries(settings).map(([key, value]) => [
    `${PROJECT}:${key}`,
    typeof value === "object"
      ? { value: JSON.stringify(value), objectValue: value, secret: false }
      : { value: String(value), secret: false },
  ]);
  return JSON.stringify(Object.fromEntries(entries));
}

export class PulumiStack {
  private settings: StackSettings;
  private created = false;
  readonly configFile: string;
  private readonly toolchain = pulumiToolchain();

  constructor(private readonly options: PulumiStackOptions) {
    this.settings = { ...(options.base ?? e2eStackSettings()) };
    this.configFile = path.join(options.workDir, `Pulumi.${options.stack}.yaml`);
  }

  get projectDir(): string {
    return this.options.projectDir ?? repoRoot();
  }

  get name(): string {
    return this.options.stack;
  }

  /** The stack config as set so far. */
  get config(): StackSettings {
    return { ...this.settings };
  }

  /** The environment of every command: the toolchain's, the backend, the kubeconfig. */
  get env(): NodeJS.ProcessEnv {
    const backend = path.join(this.options.workDir, "backend");
    fs.mkdirSync(backend, { recursive: true });
    return {
      ...process.env,
      ...this.options.env,
      ...this.toolchain.env,
      PULUMI_BACKEND_URL: `file://${backend}`,
      PULUMI_CONFIG_PASSPHRASE: TEST_PASSPHRASE,
      KUBECONFIG: this.options.kubeconfigPath,
    };
  }

  /** Runs `pulumi <args>` for this stack; fails with its diagnostics unless `allowFailure`. */
  async pulumi(
    args: string[],
    control: RunControl & StackFlags & { allowFailure?: boolean; stdin?: string } = {},
  ): Promise<PulumiRun> {
    const scope = control.scope ?? "config";
    const flags = {
      config: ["--stack", this.options.stack, "--config-file", this.configFile],
      stack: ["--stack", this.options.stack],
      none: [],
    }[scope];
    const run = await runPulumi(this.toolchain.binary, [...args, ...flags], {
      cwd: this.projectDir,
      env: this.env,
      ...(this.options.onLine ? { onLine: this.options.onLine } : {}),
      ...(control.armed ? { armed: control.armed } : {}),
      ...(control.stdin !== undefined ? { stdin: control.stdin } : {}),
    });
    if (run.exitCode !== 0 && !run.killed && !control.allowFailure)
      throw new StackRunError(`pulumi ${args.join(" ")}`, run.log);
    return run;
  }

  /**
   * `pulumi stack init` with the passphrase secrets provider, then the base config, once. `stack
   * init` writes the stack file (the passphrase's salt) next to Pulumi.yaml and has no flag to put
   * it elsewhere: it is moved to the work directory at once.
   */
  async init(): Promise<void> {
    if (this.created || fs.existsSync(this.configFile)) return;
    fs.mkdirSync(this.options.workDir, { recursive: true });
    const { stack } = this.options;
    const written = path.join(this.projectDir, `Pulumi.${stack}.yaml`);
    // `stack init` would write into a stack file of the project's own (and it is moved below).
    if (fs.existsSync(written))
      throw new Error(
        `${written} exists: a test stack must not be named like the project's stacks`,
      );
    await this.pulumi(
      ["stack", "init", stack, "--secrets-provider", "passphrase", "--non-interactive"],
      { scope: "none" },
    );
    fs.copyFileSync(written, this.configFile);
    fs.rmSync(written);
    await this.setConfig(this.settings);
    this.created = true;
  }

  /** `pulumi config set-all --json`: each key replaced whole (objects included). */
  private async setConfig(changes: StackSettings): Promise<void> {
    if (Object.keys(changes).length === 0) return;
    await this.pulumi(["config", "set-all", "--json", configJson(changes)]);
  }

  /** `pulumi config set [--path] [--secret] <key> <value>`, as a user types it. */
  async configSet(
    key: string,
    value: string,
    flags: { path?: boolean; secret?: boolean } = {},
  ): Promise<void> {
    await this.init();
    const args = ["config", "set", `${PROJECT}:${key}`, "--non-interactive"];
    if (flags.path) args.push("--path");
    args.push(flags.secret ? "--secret" : "--plaintext");
    // The value on stdin, so a secret never appears in a process listing.
    await this.pulumi(args, { stdin: value });
    this.settings = await this.readConfig();
  }

  /** `pulumi config --json`: the settings as the CLI holds them (secrets shown in clear). */
  async readConfig(): Promise<StackSettings> {
    const run = await this.pulumi(["config", "--json", "--show-secrets"]);
    const values = JSON.parse(run.stdout.join("\n")) as Record<
      string,
      { value?: string; objectValue?: object }
    >;
    return Object.fromEntries(
      Object.entries(values).map(([key, v]) => [
        key.replace(`${PROJECT}:`, ""),
        v.objectValue ?? v.value ?? "",
      ]),
    );
  }

  /** `pulumi stack output --json`. */
  async outputs(): Promise<Record<string, unknown>> {
    const run = await this.pulumi(["stack", "output", "--json"], { scope: "stack" });
    return JSON.parse(run.stdout.join("\n")) as Record<string, unknown>;
  }

  /** The config changes are set first, as `pulumi config set` would, then the command runs. */
  private async command(
    args: string[],
    changes: StackSettings,
    control: RunControl = {},
  ): Promise<RunResult> {
    await this.init();
    await this.setConfig(changes);
    this.settings = { ...this.settings, ...changes };
    const run = await this.pulumi([...args, "--non-interactive", "--color", "never"], control);
    if (run.killed) return { outputs: {}, log: run.log, ms: run.ms, killed: run.killed };
    const outputs = args[0] === "destroy" ? {} : await this.outputs();
    return { outputs, log: run.log, ms: run.ms };
  }

  /** `pulumi preview --diff` with these settings changed. */
  preview(changes: StackSettings = {}): Promise<RunResult> {
    return this.command(["preview", "--diff"], changes);
  }

  /** `pulumi up --yes` (with `--refresh` when asked) with these settings changed. */
  up(changes: StackSettings = {}, options: UpOptions = {}): Promise<RunResult> {
    return this.command(
      ["up", "--yes", ...(options.refresh ? ["--refresh"] : [])],
      changes,
      options,
    );
  }

  refresh(): Promise<RunResult> {
    return this.command(["refresh", "--yes"], {});
  }

  destroy(): Promise<RunResult> {
    return this.command(["destroy", "--yes"], {});
  }

  /** `pulumi cancel --yes`: releases the lock a killed run left behind. */
  async cancel(): Promise<PulumiRun> {
    return this.pulumi(["cancel", "--yes"], { allowFailure: true, scope: "stack" });
  }

  /** `pulumi stack export`: the state as the backend holds it. */
  async exportState(): Promise<string> {
    return (await this.pulumi(["stack", "export"], { scope: "stack" })).stdout.join("\n");
  }
}
