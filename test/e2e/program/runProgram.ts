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
import { type AppliedObject, type Checkpoint, CheckpointStore } from "./checkpoint";
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
  /** `--refresh`: read each dynamic resource's live state before its step. */
  refresh?: boolean;
}

const DYNAMIC_TYPE = /^pulumi-nodejs:dynamic\//;
/** A resource's own failure: its message says everything, a stack trace would only bury it. */
const RESOURCE_FAILURE = "ResourceFailure";

function urnOf(job: ProgramJob, type: string, name: string): string {
  return `urn:pulumi:${job.stack}::${job.project}::${type}::${name}`;
}

function toObjectRef(urn: string, applied: Props, retainOnDelete: boolean): AppliedObject {
  const metadata = applied.metadata as { name: string; namespace?: string };
  return {
    urn,
    apiVersion: applied.apiVersion as string,
    kind: applied.kind as string,
    name: metadata.name,
    ...(metadata.namespace ? { namespace: metadata.namespace } : {}),
    ...(retainOnDelete ? { retainOnDelete } : {}),
  };
}

type RegisterRequest = {
  getType(): string;
  getName(): string;
  getRetainondelete(): boolean;
  getAdditionalsecretoutputsList(): string[];
};

interface WatchedOptions {
  retained: Set<string>;
  /** `additionalSecretOutputs` by `type::name`: kept encrypted in the recorded state. */
  secretOutputs: Map<string, string[]>;
}

/**
 * The mock hook does not pass resource options; `retainOnDelete` and `additionalSecretOutputs` are
 * read from the registration request itself, which the monitor receives just before it calls the hook.
 */
function watchOptions(): WatchedOptions {
  const watched: WatchedOptions = { retained: new Set(), secretOutputs: new Map() };
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, callback: unknown): void;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const key = `${req.getType()}::${req.getName()}`;
    if (req.getRetainondelete()) watched.retained.add(key);
    watched.secretOutputs.set(key, req.getAdditionalsecretoutputsList());
    register(req, callback);
  };
  return watched;
}

/** Deletes an object the stack no longer holds, unless Pulumi would keep it (retainOnDelete). */
async function remove(ref: AppliedObject, applier: KubernetesApplier): Promise<void> {
  if (ref.retainOnDelete) {
    console.log(
      `retained ${describe(ref)} (retainOnDelete: dropped from the stack, left in place)`,
    );
    return;
  }
  await applier.delete(ref);
  console.log(`deleted ${describe(ref)}`);
}

async function run(job: ProgramJob): Promise<Props> {
  process.env.PULUMI_CONFIG = JSON.stringify(job.config);
  const store = new CheckpointStore(job.stateDir);
  const previous = store.load();
  const applier = new KubernetesApplier(job.kubeconfigPath);
  // The membership provider finds the cluster the way it would under the CLI: KUBECONFIG.
  const provider = await ProviderProcess.start({
    project: job.project,
    env: { KUBECONFIG: job.kubeconfigPath },
  });
  // Stopped from outside: the provider process goes too (it would otherwise outlive this one).
  const stopOnSignal = () => void provider.stop().finally(() => process.exit(1));
  process.once("SIGINT", stopOnSignal);
  process.once("SIGTERM", stopOnSignal);
  // The provider's progress lines, as they come (the CLI shows them as diagnostics).
  const forwardOutput = setInterval(() => {
    for (const line of provider.output.splice(0)) console.log(`  provider: ${line}`);
  }, 100);
  try {
    await provider.configure(job.config);
    if (job.operation === "destroy") {
      await destroy(previous.dynamicResources, previous.objects, store, provider, applier);
      store.save({ objects: [], dynamicResources: [] });
      return {};
    }
    const registered: Checkpoint = { objects: [], dynamicResources: [] };
    const { outputs, failure } = await runProgramOnce(job, {
      previous,
      store,
      provider,
      applier,
      registered,
    });
    if (job.operation !== "up") {
      if (failure) throw failure;
      return outputs;
    }
    if (failure) {
      // As the engine does: what was created or updated is recorded, nothing is deleted.
      const kept = new Set(registered.objects.map((o) => o.urn));
      store.save({
        objects: [...registered.objects, ...previous.objects.filter((o) => !kept.has(o.urn))],
        dynamicResources: [
          ...new Set([...previous.dynamicResources, ...registered.dynamicResources]),
        ],
      });
      throw failure;
    }
    const kept = new Set(registered.objects.map((o) => o.urn));
    const gone = previous.objects.filter((o) => !kept.has(o.urn)).reverse();
    for (const ref of gone) await remove(ref, applier);
    store.save(registered);
    return outputs;
  } finally {
    clearInterval(forwardOutput);
    await provider.stop();
    for (const line of provider.output.splice(0)) console.log(`  provider: ${line}`);
  }
}

interface RunContext {
  previous: Checkpoint;
  store: CheckpointStore;
  provider: ProviderProcess;
  applier: KubernetesApplier;
  /** Filled in as resources are registered. */
  registered: Checkpoint;
}

/**
 * Runs the program under the mock monitor. A resource that fails fails the run with its own
 * message (as the CLI prints `error:` for it); the program's other registrations still finish.
 */
async function runProgramOnce(
  job: ProgramJob,
  ctx: RunContext,
): Promise<{ outputs: Props; failure?: Error }> {
  let failure: Error | undefined;
  const fail = (urn: string, error: unknown): never => {
    failure ??= Object.assign(new Error(`${urn}: ${(error as Error).message ?? String(error)}`), {
      name: RESOURCE_FAILURE,
    });
    throw error;
  };
  // The failed resource's promises reject as well, possibly after the program has returned; their
  // error is the one recorded above. One run per process, so the handler stays to the end.
  process.on("unhandledRejection", (error: unknown) => {
    failure ??= error instanceof Error ? error : new Error(String(error));
  });
  let watched: WatchedOptions = { retained: new Set(), secretOutputs: new Map() };
  await pulumi.runtime.setMocks(
    {
      async newResource(args) {
        const urn = urnOf(job, args.type, args.name);
        if (!args.custom) return { id: undefined, state: args.inputs };
        try {
          if (DYNAMIC_TYPE.test(args.type)) {
            const secretOutputs = watched.secretOutputs.get(`${args.type}::${args.name}`) ?? [];
            return await dynamicResource(job, ctx, urn, args.inputs, secretOutputs);
          }
          if (args.type.startsWith("kubernetes:")) {
            const retain = watched.retained.has(`${args.type}::${args.name}`);
            return await kubernetesObject(job, ctx, urn, args.name, args.inputs, retain);
          }
        } catch (error) {
          return fail(urn, error);
        }
        return fail(urn, new Error(`resource type ${args.type} is not supported by runProgram`));
      },
      call(args) {
        throw new Error(`runProgram: function ${args.token} is not supported`);
      },
    },
    job.project,
    job.stack,
    job.operation === "preview",
  );
  watched = watchOptions();
  try {
    const outputs = (await pulumi.runtime.runInPulumiStack(
      // The program's path is only known at run time, as it is for Pulumi's language host.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      () => require(job.program),
    )) as Props | undefined;
    return { outputs: outputs ?? {}, ...(failure ? { failure } : {}) };
  } catch (error) {
    return { outputs: {}, failure: failure ?? (error as Error) };
  }
}

async function dynamicResource(
  job: ProgramJob,
  ctx: RunContext,
  urn: string,
  inputs: Props,
  secretOutputs: string[],
): Promise<{ id: string; state: Props }> {
  const statePath = ctx.store.dynamicStatePath(urn);
  const engine = new DynamicResourceEngine(ctx.provider, urn, statePath, secretOutputs);
  if (job.operation === "preview") {
    const planned = await engine.preview(inputs);
    console.log(`preview ${planned.operation} ${urn}: ${String(planned.inputs.plan)}`);
    return { id: engine.state()?.id ?? "", state: planned.inputs };
  }
  ctx.registered.dynamicResources.push(urn);
  if (job.refresh && engine.state()) {
    await engine.refresh();
    console.log(`refreshed ${urn}`);
  }
  const result = await engine.up(inputs);
  console.log(`${result.operation} ${urn}`);
  return { id: engine.state()!.id, state: result.outputs };
}

async function kubernetesObject(
  job: ProgramJob,
  ctx: RunContext,
  urn: string,
  name: string,
  inputs: Props,
  retainOnDelete: boolean,
): Promise<{ id: string; state: Props }> {
  const object = withStableName(inputs, name, urn, ctx.previous.objects);
  if (job.operation === "preview") return { id: "", state: object };
  const result = (await ctx.applier.apply(object as never)) as unknown as Props;
  const ref = toObjectRef(urn, result, retainOnDelete);
  ctx.registered.objects.push(ref);
  console.log(`applied ${describe(ref)}`);
  return { id: `${ref.namespace ?? ""}/${ref.name}`, state: result };
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
  for (const ref of [...objects].reverse()) await remove(ref, applier);
}

if (require.main === module) {
  const job = JSON.parse(fs.readFileSync(process.argv[2], "utf8")) as ProgramJob;
  run(job).then(
    (outputs) => {
      console.log(`OUTPUTS ${JSON.stringify(outputs)}`);
    },
    (err: Error) => {
      console.error(`error: ${err.name === RESOURCE_FAILURE ? err.message : err.stack}`);
      process.exitCode = 1;
    },
  );
}
