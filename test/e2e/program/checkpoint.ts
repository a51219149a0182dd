/**
 * What a run of the program leaves behind for the next one, like a stack checkpoint: the Kubernetes
 * objects it applied (in registration order, so a destroy can go in reverse) and, per dynamic
 * resource, a state file written by the engine emulation.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { ObjectRef } from "./kubernetesApplier";

export interface AppliedObject extends ObjectRef {
  urn: string;
  /** Pulumi's `retainOnDelete`: dropped from the stack on delete, left in the cluster. */
  retainOnDelete?: boolean;
}

export interface Checkpoint {
  objects: AppliedObject[];
  dynamicResources: string[];
}

export class CheckpointStore {
  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  private get file(): string {
    return path.join(this.dir, "checkpoint.json");
  }

  load(): Checkpoint {
    if (!fs.existsSync(this.file)) return { objects: [], dynamicResources: [] };
    return JSON.parse(fs.readFileSync(this.file, "utf8")) as Checkpoint;
  }

  save(checkpoint: Checkpoint): void {
    fs.writeFileSync(this.file, JSON.stringify(checkpoint, null, 2));
  }

  dynamicStatePath(urn: string): string {
    return path.join(this.dir, `dynamic-${encodeURIComponent(urn)}.json`);
  }
}
