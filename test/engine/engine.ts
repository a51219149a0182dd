/**
 * The part of the Pulumi engine's step generation that concerns one dynamic resource, over the real
 * provider process: `preview` (Check + Diff only, as the engine does when the provider does not
 * support preview), `up` (Check, then Create, or Diff then Update / replace), `refresh` (Read) and
 * `destroy` (Delete). State (inputs and outputs) is kept in a JSON file between runs, like a
 * stack's checkpoint, so a run after a crash starts from what the last run recorded.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { CheckFailure, DiffReply, Props, ProviderProcess } from "./providerProcess";
import { SecretBox, unwrapSecrets } from "./secretState";

export interface ResourceState {
  id: string;
  inputs: Props;
  outputs: Props;
  /** Keys kept encrypted in the state file: secret inputs and `additionalSecretOutputs`. */
  secretKeys?: string[];
}

export type Operation = "create" | "update" | "replace" | "same";

export interface PreviewResult {
  operation: Operation;
  /** Inputs after Check: what `pulumi preview --diff` shows against the old inputs. */
  inputs: Props;
  diff?: DiffReply;
}

export class CheckFailedError extends Error {
  constructor(readonly failures: CheckFailure[]) {
    super(failures.map((f) => `${f.property}: ${f.reason}`).join("\n"));
    this.name = "CheckFailedError";
  }
}

/** Keys starting with `__` are internal to the engine and hidden from its diffs. */
function visibleEqual(a: Props, b: Props): boolean {
  const visible = (p: Props) =>
    JSON.stringify(
      Object.fromEntries(
        Object.entries(p)
          .filter(([k]) => !k.startsWith("__"))
          .sort(),
      ),
    );
  return visible(a) === visible(b);
}

export class DynamicResourceEngine {
  private readonly secrets: SecretBox;
  private secretKeys: string[];

  /** `secretOutputs`: the resource's `additionalSecretOutputs`. */
  constructor(
    private readonly provider: ProviderProcess,
    readonly urn: string,
    private readonly statePath: string,
    secretOutputs: readonly string[] = [],
  ) {
    this.secrets = new SecretBox(path.dirname(statePath));
    this.secretKeys = [...secretOutputs];
  }

  /** The recorded state, secrets decrypted (the provider gets them in clear: acceptSecrets=false). */
  state(): ResourceState | undefined {
    if (!fs.existsSync(this.statePath)) return undefined;
    const stored = JSON.parse(fs.readFileSync(this.statePath, "utf8")) as ResourceState;
    return {
      ...stored,
      inputs: this.secrets.open(stored.inputs),
      outputs: this.secrets.open(stored.outputs),
    };
  }

  /** Secrets are written encrypted, as the engine writes them to a checkpoint. */
  private save(state: ResourceState | undefined): void {
    if (!state) {
      fs.rmSync(this.statePath, { force: true });
      return;
    }
    const keys = [...new Set([...(state.secretKeys ?? []), ...this.secretKeys])];
    const stored: ResourceState = {
      ...state,
      inputs: this.secrets.seal(state.inputs, keys),
      outputs: this.secrets.seal(state.outputs, keys),
      secretKeys: keys,
    };
    fs.writeFileSync(this.statePath, JSON.stringify(stored, null, 2));
  }

  /** Inputs as the program registers them: secret values wrapped, which the engine unwraps. */
  async preview(registered: Props): Promise<PreviewResult> {
    const { plain: news, secretKeys } = unwrapSecrets(registered);
    this.secretKeys = [...new Set([...this.secretKeys, ...secretKeys])];
    const old = this.state();
    const { inputs, failures } = await this.provider.check(this.urn, old?.inputs ?? {}, news);
    if (failures.length > 0) throw new CheckFailedError(failures);
    if (!old) return { operation: "create", inputs };
    const diff = await this.provider.diff(this.urn, old.id, old.outputs, inputs);
    return { operation: this.operationOf(diff, old, inputs), inputs, diff };
  }

  async up(news: Props): Promise<{ operation: Operation; outputs: Props }> {
    const planned = await this.preview(news);
    const old = this.state();
    switch (planned.operation) {
      case "create": {
        const created = await this.provider.create(this.urn, planned.inputs);
        this.save({ id: created.id, inputs: planned.inputs, outputs: created.properties });
        return { operation: "create", outputs: created.properties };
      }
      case "update": {
        const updated = await this.provider.update(this.urn, old!.id, old!.outputs, planned.inputs);
        this.save({ id: old!.id, inputs: planned.inputs, outputs: updated.properties });
        return { operation: "update", outputs: updated.properties };
      }
      case "replace": {
        if (planned.diff!.deleteBeforeReplace) {
          await this.provider.delete(this.urn, old!.id, old!.outputs);
          this.save(undefined);
        }
        const created = await this.provider.create(this.urn, planned.inputs);
        if (!planned.diff!.deleteBeforeReplace)
          await this.provider.delete(this.urn, old!.id, old!.outputs);
        this.save({ id: created.id, inputs: planned.inputs, outputs: created.properties });
        return { operation: "replace", outputs: created.properties };
      }
      case "same":
        this.save({ ...old!, inputs: planned.inputs });
        return { operation: "same", outputs: old!.outputs };
    }
  }

  async refresh(): Promise<Props> {
    const old = this.state();
    if (!old) throw new Error(`${this.urn} has no state to refresh`);
    const read = await this.provider.read(this.urn, old.id, old.outputs, old.inputs);
    this.save({
      id: read.id || old.id,
      inputs: read.inputs ?? old.inputs,
      outputs: read.properties,
    });
    return read.properties;
  }

  async destroy(): Promise<void> {
    const old = this.state();
    if (!old) return;
    await this.provider.delete(this.urn, old.id, old.outputs);
    this.save(undefined);
  }

  private operationOf(diff: DiffReply, old: ResourceState, inputs: Props): Operation {
    if (diff.replaces.length > 0) return "replace";
    if (diff.changes === "some") return "update";
    if (diff.changes === "none") return "same";
    // DIFF_UNKNOWN: the engine compares old and new inputs itself.
    return visibleEqual(old.inputs, inputs) && old.inputs.__provider === inputs.__provider
      ? "same"
      : "update";
  }
}
