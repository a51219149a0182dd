/**
 * The membership dynamic provider. Thin methods: parse inputs, run the reconciler, shape outputs.
 * Serialized by Pulumi with everything it captures, so it captures only the workload factory and
 * plain options (`ProviderParts`); npm modules are reached through module namespaces inside the methods it calls.
 */
import type * as pulumi from "@pulumi/pulumi";
import { type MembershipArgs, type MembershipInputs, argsOf } from "../../model/membership/inputs";
import { checkInputs, diffInputs } from "./checkDiff";
import { type MembershipOutputs, inputsOf, outputsOf, resourceId } from "./outputs";
import { progressLog } from "./engineLog";
import { watchEngine } from "./engineWatch";
import type { Goal } from "./observation";
import { redactError } from "./redact";
import { rootCredentials } from "./rootAuth";
import {
  DEFAULT_RECONCILE_OPTIONS,
  PROGRESS_PREFIX,
  type ReconcileOptions,
  inspect,
  reconcile,
} from "./reconciler";
import { holderIdentity } from "./lease";
import { asRun, exitIfEngineGone } from "./watchdog";
import type { Workload } from "./types";

export type WorkloadFactory = (args: MembershipArgs) => Workload;

/**
 * The goal of a run. The token is fresh each time and used only if this run founds the cluster, so
 * every cluster's ID is its own (a destroyed one's data never passes for it).
 */
function goalOf(args: MembershipArgs): Goal {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- at call time: see kubernetes/modules.ts
  const crypto = require("node:crypto") as typeof import("crypto");
  return {
    size: args.size,
    volumePolicy: args.volumePolicy,
    owner: args.owner,
    replace: args.replaceMembers ?? [],
    token: `${args.clusterName}-${crypto.randomBytes(12).toString("hex")}`,
  };
}

/**
 * How long a run waits for members that do not answer before it refuses (default 60 s): the
 * environment of `pulumi up` may shorten or lengthen it, in whole seconds.
 */
function unobservedWait(): Partial<ReconcileOptions> {
  const seconds = Number(process.env.ETCD_K8S_UNOBSERVED_WAIT_SECONDS);
  return Number.isInteger(seconds) && seconds > 0 ? { unobservedBudgetMs: seconds * 1000 } : {};
}

async function withWorkload<T>(
  makeWorkload: WorkloadFactory,
  args: MembershipArgs,
  use: (w: Workload) => Promise<T>,
): Promise<T> {
  const workload = makeWorkload(args);
  try {
    return await use(workload);
  } finally {
    await workload.close();
  }
}

interface ProviderParts {
  makeWorkload: WorkloadFactory;
  options: Partial<ReconcileOptions>;
}

/** The options' credentials with root's from the inputs, when authentication is on. */
const securityOf = (parts: ProviderParts, args: MembershipArgs) => ({
  ...parts.options.security,
  ...(args.rootPassword === undefined ? {} : { auth: rootCredentials(args.rootPassword) }),
});

/**
 * Runs the reconciler to the inputs' size and returns the outputs. Create and update both come
 * here: what exists is decided from the cluster's own record, never from which call this is.
 */
async function converge(
  parts: ProviderParts,
  inputs: MembershipInputs,
  olds?: MembershipOutputs,
): Promise<MembershipOutputs> {
  const args = argsOf(inputs);
  const snapshot = args.snapshots && { ...args.snapshots, cluster: args.clusterName };
  const run = {
    engine: watchEngine(),
    ...unobservedWait(),
    ...parts.options,
    log: parts.options.log ?? progressLog(args.__urn),
    ...(snapshot ? { snapshot } : {}),
    security: securityOf(parts, args),
    ...(olds?.rootPassword ? { previousAuth: rootCredentials(olds.rootPassword) } : {}),
  };
  const result = await asRun(() =>
    withWorkload(parts.makeWorkload, args, (w) => reconcile(w, goalOf(args), run)),
  ).catch((error: unknown) => {
    exitIfEngineGone(error);
    throw redactError(error, [args.rootPassword, olds?.rootPassword]);
  });
  return outputsOf(
    inputsOf(inputs),
    result.summary,
    result.snapshot ?? olds?.latestSnapshot ?? null,
  );
}

/** The live cluster: size and members as etcd reports them, so a refresh shows drift. */
async function readLive(parts: ProviderParts, id: string, props?: MembershipOutputs) {
  if (!props?.clusterName)
    throw new Error(
      `${PROGRESS_PREFIX} cannot read ${id}: import is not supported; create the resource from the program`,
    );
  const args = argsOf(props);
  const { summary, next } = await asRun(() =>
    withWorkload(parts.makeWorkload, args, (w) =>
      inspect(w, goalOf(args), { ...parts.options, security: securityOf(parts, args) }),
    ),
  ).catch((error: unknown) => {
    throw redactError(error, [args.rootPassword]);
  });
  const live: MembershipInputs = {
    ...inputsOf(props),
    size: summary.liveSize,
    members: summary.memberStatus.map((m) => m.name),
  };
  const outs = outputsOf(live, summary, props.latestSnapshot ?? null, next ?? null);
  return { id, props: outs, inputs: live };
}

/**
 * Removes only what the provider owns, the cluster record; members and volumes are left to the
 * StatefulSet and its PVC retention policy, which the same destroy deletes or keeps. Without the
 * record a kept volume is an earlier cluster's: a later create refuses to start on it.
 */
async function deleteRecord(parts: ProviderParts, props: MembershipOutputs): Promise<void> {
  const args = argsOf(props);
  await asRun(() =>
    withWorkload(parts.makeWorkload, args, async (w) => {
      const lease = await w
        .lease()
        .acquire(holderIdentity(), { ...DEFAULT_RECONCILE_OPTIONS.lease, ...parts.options.lease })
        .catch((error: unknown) => {
          // The namespace is gone (deleted by hand): so is the record, and nothing can change.
          if ((error as { status?: number }).status === 404) return undefined;
          throw error;
        });
      try {
        await w.removeRecord();
      } finally {
        await lease?.release().catch(() => undefined);
      }
      const log = parts.options.log ?? progressLog(args.__urn);
      log(
        `${PROGRESS_PREFIX} ${w.describe()}: removed the cluster record; etcd members and ` +
          "volumes are left to the StatefulSet and its volume retention policy",
      );
    }),
  );
}

export function createMembershipProvider(
  makeWorkload: WorkloadFactory,
  options: Partial<ReconcileOptions> = {},
): pulumi.dynamic.ResourceProvider {
  const parts: ProviderParts = { makeWorkload, options };
  return {
    check: async (olds: Record<string, unknown>, news: Record<string, unknown>) =>
      checkInputs(olds, news),
    diff: async (_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) =>
      diffInputs(olds, news),
    create: async (inputs: MembershipInputs) => ({
      id: resourceId(inputs),
      outs: await converge(parts, inputs),
    }),
    update: async (_id: string, olds: MembershipOutputs, news: MembershipInputs) => ({
      outs: await converge(parts, news, olds),
    }),
    read: (id: string, props?: MembershipOutputs) => readLive(parts, id, props),
    delete: (_id: string, props: MembershipOutputs) => deleteRecord(parts, props),
  };
}
