/**
 * Runs the real program (`index.ts`, compiled) once, as `pulumi up`, `pulumi preview` or
 * `pulumi destroy` would, with a resource monitor (Pulumi's mock hook) that does the real work:
 * Kubernetes objects are server-side applied to the API server in the kubeconfig, and dynamic
 * resources go to the real dynamic-provider process through the engine emulation. Pulumi registers
 * a resource only after the resources it depends on have finished, so objects are applied in the
 * order `pulumi up` would apply them. This is test tooling, not a Pulumi replacement: one process
 * per run, like the CLI, with no parallelism limits, no auto-naming beyond a stable suffix, and no
 * provider awaits other than the ones the program's own dependencies express.
 *
 * Usage: node runProgram.js <job.json>   (see ProgramJob)
 */
import * as fs from "node:fs";
import * as crypto from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { ProviderProcess, type Props } from "../../engine/providerProcess";
import { DynamicResourceEngine } from "../../engine/engine";
import { CheckpointStore, type AppliedObject } from "./checkpoint";
import { KubernetesApplier, describe } from "./kubernetesApplier";

export interface ProgramJob {
  /** The compiled program entry, e.g. dist/index.js. */
  program: string;
  project: string;
  stack: string;
  /** Stack config as `pulumi config` holds it: `<project>:<key>` to a string (JSON for objects). */
  config: Record<string, string>;
  kubeconfigPath: string;
  stateDir: string;
  operation: "up" | "preview" | "destroy";
}

const DYNAMIC_TYPE = /^pulumi-nodejs:dynamic\//;

function urnOf(job: ProgramJob, type: string, name: string): string {
  return `urn:pulumi:${job.stack}::${job.project}::${type}::${name}`;
}

function toObjectRef(urn: string, applied: Props): AppliedObject {
  const metadata = applied.metadata as { name: string; namespace?: string };
  return {
    urn,
    apiVersion: applied.apiVersion as string,
    kind: applied.kind as string,
    name: metadata.name,
    ...(metadata.namespace ? { namespace: metadata.namespace } : {}),
  };
}

async function run(job: ProgramJob): Promise<Props> {
  process.env.PULUMI_CONFIG = JSON.stringify(job.config);
  const store = new CheckpointStore(job.stateDir);
  const previous = store.load();
  const applier = new KubernetesApplier(job.kubeconfigPath);
  const provider = await ProviderProcess.start({ project: job.project });
  const forwardOutput = setInterval(() => {
    for (const line of provider.output.splice(0)) console.log(`  provider: ${line}`);
  }, 100);
  const applied: AppliedObject[] = [];
  const dynamicResources: string[] = [];
  try {
    await provider.configure(job.config);
    if (job.operation === "destroy") {
      await destroy(previous.dynamicResources, previous.objects, store, provider, applier);
      store.save({ objects: [], dynamicResources: [] });
      return {};
    }
    await pulumi.runtime.setMocks(
      {
        async newResource(args) {
          const urn = urnOf(job, args.type, args.name);
          if (!args.custom) return { id: undefined, state: args.inputs };
          if (DYNAMIC_TYPE.test(args.type)) {
            const engine = new DynamicResourceEngine(provider, urn, store.dynamicStatePath(urn));
            if (job.operation === "preview") {
              const planned = await engine.preview(args.inputs);
              console.log(`preview ${planned.operation} ${urn}: ${String(planned.inputs.plan)}`);
              return { id: engine.state()?.id ?? "", state: planned.inputs };
            }
            dynamicResources.push(urn);
            const result = await engine.up(args.inputs);
            console.log(`${result.operation} ${urn}`);
            return { id: engine.state()!.id, state: result.outputs };
          }
          if (args.type.startsWith("kubernetes:")) {
            const object = withStableName(args.inputs, args.name, urn, previous.objects);
            if (job.operation === "preview") return { id: "", state: object };
            const result = (await applier.apply(object as never)) as unknown as Props;
            const ref = toObjectRef(urn, result);
            applied.push(ref);
            console.log(`applied ${describe(ref)}`);
            return { id: `${ref.namespace ?? ""}/${ref.name}`, state: result };
          }
          throw new Error(`runProgram: resource type ${args.type} (${args.name}) is not supported`);
        },
        call(args) {
          throw new Error(`runProgram: function ${args.token} is not supported`);
        },
      },
      job.project,
      job.stack,
      job.operation === "preview",
    );
    const outputs = (await pulumi.runtime.runInPulumiStack(
      // The program's path is only known at run time, as it is for Pulumi's language host.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      () => require(job.program),
    )) as Props;
    if (job.operation === "up") {
      const kept = new Set(applied.map((o) => o.urn));
      const gone = previous.objects.filter((o) => !kept.has(o.urn)).reverse();
      for (const ref of gone) {
        await applier.delete(ref);
        console.log(`deleted ${describe(ref)}`);
      }
      store.save({ objects: applied, dynamicResources });
    }
    return outputs ?? {};
  } finally {
    clearInterval(forwardOutput);
    await provider.stop();
    for (const line of provider.output.splice(0)) console.log(`  provider: ${line}`);
  }
}

/** An object the program leaves unnamed gets Pulumi's `<name>-<random>`, kept across runs. */
function withStableName(
  inputs: Props,
  name: string,
  urn: string,
  previous: AppliedObject[],
): Props {
  const metadata = { ...((inputs.metadata as Props | undefined) ?? {}) };
  if (!metadata.name) {
    metadata.name =
      previous.find((o) => o.urn === urn)?.name ??
      `${name}-${crypto.randomBytes(4).toString("hex")}`;
  }
  return { ...inputs, metadata };
}

async function destroy(
  dynamicResources: string[],
  objects: AppliedObject[],
  store: CheckpointStore,
  provider: ProviderProcess,
  applier: KubernetesApplier,
): Promise<void> {
  // Dynamic resources are registered last (they depend on the workload), so they go first.
  for (const urn of [...dynamicResources].reverse()) {
    await new DynamicResourceEngine(provider, urn, store.dynamicStatePath(urn)).destroy();
    console.log(`deleted ${urn}`);
  }
  for (const ref of [...objects].reverse()) {
    await applier.delete(ref);
    console.log(`deleted ${describe(ref)}`);
  }
}

if (require.main === module) {
  const job = JSON.parse(fs.readFileSync(process.argv[2], "utf8")) as ProgramJob;
  run(job).then(
    (outputs) => {
      console.log(`OUTPUTS ${JSON.stringify(outputs)}`);
    },
    (err: Error) => {
      console.error(`error: ${err.stack ?? err.message}`);
      process.exitCode = 1;
    },
  );
}
