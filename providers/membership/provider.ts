/**
 * The membership dynamic provider. Thin methods: parse inputs, run the reconciler, shape outputs.
 * Serialized by Pulumi with everything it captures, so it captures only the workload factory and
 * plain options; npm modules are reached through module namespaces inside the methods it calls.
 */
import type * as pulumi from "@pulumi/pulumi";
import { checkSize } from "../../model/config/rules";
import {
  type MembershipArgs,
  type MembershipInputs,
  REPLACE_KEYS,
  UPDATE_KEYS,
  argsOf,
  validateInputs,
} from "../../model/membership/inputs";
import { UNKNOWN, isUnknown } from "../../model/membership/unknown";
import { type MembershipOutputs, inputsOf, outputsOf, resourceId } from "./outputs";
import { progressLog } from "./engineLog";
import { watchEngine } from "./engineWatch";
import { checkFixedSettings } from "./fixedSettings";
import type { Goal } from "./observation";
import { plannedChange } from "./plannedChange";
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
import { describeReplacements } from "./replacements";
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

const sameValue = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

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

export function createMembershipProvider(
  makeWorkload: WorkloadFactory,
  options: Partial<ReconcileOptions> = {},
): pulumi.dynamic.ResourceProvider {
  /** The options' credentials with root's from the inputs, when authentication is on. */
  const securityOf = (args: MembershipArgs) => ({
    ...options.security,
    ...(args.rootPassword === undefined ? {} : { auth: rootCredentials(args.rootPassword) }),
  });

  /**
   * Runs the reconciler to the inputs' size and returns the outputs. Create and update both come
   * here: what exists is decided from the cluster's own record, never from which call this is.
   */
  const converge = async (inputs: MembershipInputs, olds?: MembershipOutputs) => {
    const args = argsOf(inputs);
    const snapshot = args.snapshots && { ...args.snapshots, cluster: args.clusterName };
    const run = {
      engine: watchEngine(),
      ...unobservedWait(),
      ...options,
      log: options.log ?? progressLog(args.__urn),
      ...(snapshot ? { snapshot } : {}),
      security: securityOf(args),
      ...(olds?.rootPassword ? { previousAuth: rootCredentials(olds.rootPassword) } : {}),
    };
    const result = await asRun(() =>
      withWorkload(makeWorkload, args, (w) => reconcile(w, goalOf(args), run)),
    ).catch((error: unknown) => {
      exitIfEngineGone(error);
      throw redactError(error, [args.rootPassword, olds?.rootPassword]);
    });
    return outputsOf(
      inputsOf(inputs),
      result.summary,
      result.snapshot ?? olds?.latestSnapshot ?? null,
    );
  };

  return {
    async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
      // Another name or namespace is another cluster (a replacement): planned from nothing.
      const sameCluster = REPLACE_KEYS.every((k) => olds[k] === news[k]);
      const violations = [
        ...validateInputs(news),
        ...(sameCluster ? checkFixedSettings(olds, news) : []),
      ];
      const failures = violations.map((v) => ({ property: v.key, reason: v.message }));
      if (failures.length > 0) return { inputs: news, failures };
      if (isUnknown(news.size) || isUnknown(news.clusterName) || isUnknown(news.volumePolicy))
        return { inputs: { ...news, members: UNKNOWN, plan: UNKNOWN } };
      const oldSize =
        sameCluster && checkSize("size", olds.size) === undefined
          ? (olds.size as number)
          : undefined;
      const args = argsOf(news);
      const change = plannedChange(oldSize, args.size, args);
      const replacing = describeReplacements(args.replaceMembers ?? []);
      const planText = replacing ? `${replacing}; then ${change.plan}` : change.plan;
      return { inputs: { ...news, ...change, plan: planText } };
    },

    async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
      const replaces = REPLACE_KEYS.filter((k) => !sameValue(olds[k], news[k]));
      const updates = UPDATE_KEYS.filter((k) => !sameValue(olds[k], news[k]));
      // Every change leaves as many replicas as members. Other replicas after a refresh mean the
      // StatefulSet was scaled around the provider (a removed member's pod may be crash-looping
      // on its old volume): an update repairs that, so `pulumi up --refresh` does.
      const scaledAround = typeof olds.replicas === "number" && olds.replicas !== news.size;
      // A refresh found something to repair (or to refuse): only an update does either.
      const pending = typeof olds.pendingChange === "string";
      return {
        changes: replaces.length + updates.length > 0 || scaledAround || pending,
        replaces: [...replaces],
        deleteBeforeReplace: false,
      };
    },

    async create(inputs: MembershipInputs) {
      const outs = await converge(inputs);
      return { id: resourceId(inputs), outs };
    },

    async update(_id: string, olds: MembershipOutputs, news: MembershipInputs) {
      return { outs: await converge(news, olds) };
    },

    /** The live cluster: size and members as etcd reports them, so a refresh shows drift. */
    async read(id: string, props?: MembershipOutputs) {
      if (!props?.clusterName)
        throw new Error(
          `${PROGRESS_PREFIX} cannot read ${id}: import is not supported; create the resource from the program`,
        );
      const args = argsOf(props);
      const { summary, next } = await asRun(() =>
        withWorkload(makeWorkload, args, (w) =>
          inspect(w, goalOf(args), { ...options, security: securityOf(args) }),
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
    },

    /**
     * Removes only what the provider owns, the cluster record; members and volumes are left to the
     * StatefulSet and its PVC retention policy, which the same destroy deletes or keeps. Without
     * the record a kept volume is an earlier cluster's: a later create refuses to start on it.
     */
    async delete(_id: string, props: MembershipOutputs) {
      const args = argsOf(props);
      await asRun(() =>
        withWorkload(makeWorkload, args, async (w) => {
          const lease = await w
            .lease()
            .acquire(holderIdentity(), { ...DEFAULT_RECONCILE_OPTIONS.lease, ...options.lease })
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
          const log = options.log ?? progressLog(args.__urn);
          log(
            `${PROGRESS_PREFIX} ${w.describe()}: removed the cluster record; etcd members and ` +
              "volumes are left to the StatefulSet and its volume retention policy",
          );
        }),
      );
    },
  };
}
