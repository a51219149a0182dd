/**
 * The membership dynamic provider. Thin methods: parse inputs, run the reconciler, shape outputs.
 * Serialized by Pulumi with everything it captures, so it captures only the workload factory and
 * plain options; npm modules are reached through module namespaces inside the methods it calls.
 */
import type * as pulumi from "@pulumi/pulumi";
import { checkSize } from "../../components/config/rules";
import type { MembershipArgs, MembershipInputs } from "./inputs";
import {
  type MembershipOutputs,
  REPLACE_KEYS,
  UPDATE_KEYS,
  argsOf,
  inputsOf,
  outputsOf,
  resourceId,
} from "./outputs";
import { checkFixedSettings } from "./fixedSettings";
import { plannedChange } from "./plannedChange";
import { redactError } from "./redact";
import { rootCredentials } from "./rootAuth";
import { PROGRESS_PREFIX, type ReconcileOptions, inspect, reconcile } from "./reconciler";
import type { Workload } from "./types";
import { UNKNOWN, isUnknown, validateInputs } from "./validate";

export type WorkloadFactory = (args: MembershipArgs) => Workload;

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

  /** Runs the reconciler to the inputs' size and returns the outputs. */
  const converge = async (
    inputs: MembershipInputs,
    bootstrap: boolean,
    olds?: MembershipOutputs,
  ) => {
    const args = argsOf(inputs as unknown as Record<string, unknown>);
    const goal = { size: args.size, volumePolicy: args.volumePolicy, bootstrap };
    const snapshot = args.snapshots && { ...args.snapshots, cluster: args.clusterName };
    const run = {
      ...options,
      ...(snapshot ? { snapshot } : {}),
      security: securityOf(args),
      ...(olds?.rootPassword ? { previousAuth: rootCredentials(olds.rootPassword) } : {}),
    };
    const result = await withWorkload(makeWorkload, args, (w) => reconcile(w, goal, run)).catch(
      (error: unknown) => {
        throw redactError(error, [args.rootPassword, olds?.rootPassword]);
      },
    );
    return outputsOf(
      inputsOf(inputs as unknown as Record<string, unknown>),
      result.summary,
      result.snapshot ?? olds?.latestSnapshot,
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
      return { inputs: { ...news, ...plannedChange(oldSize, args.size, args) } };
    },

    async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
      const replaces = REPLACE_KEYS.filter((k) => !sameValue(olds[k], news[k]));
      const updates = UPDATE_KEYS.filter((k) => !sameValue(olds[k], news[k]));
      // Every change leaves as many replicas as members. Other replicas after a refresh mean the
      // StatefulSet was scaled around the provider (a removed member's pod may be crash-looping
      // on its old volume): an update repairs that, so `pulumi up --refresh` does.
      const scaledAround = typeof olds.replicas === "number" && olds.replicas !== news.size;
      return {
        changes: replaces.length + updates.length > 0 || scaledAround,
        replaces: [...replaces],
        deleteBeforeReplace: false,
      };
    },

    async create(inputs: MembershipInputs) {
      const outs = await converge(inputs, true);
      return { id: resourceId(inputs), outs };
    },

    async update(_id: string, olds: MembershipOutputs, news: MembershipInputs) {
      return { outs: await converge(news, false, olds) };
    },

    /** The live cluster: size and members as etcd reports them, so a refresh shows drift. */
    async read(id: string, props?: MembershipOutputs) {
      if (!props?.clusterName)
        throw new Error(
          `${PROGRESS_PREFIX} cannot read ${id}: import is not supported; create the resource from the program`,
        );
      const args = argsOf(props as unknown as Record<string, unknown>);
      const summary = await withWorkload(makeWorkload, args, (w) =>
        inspect(w, { ...options, security: securityOf(args) }),
      ).catch((error: unknown) => {
        throw redactError(error, [args.rootPassword]);
      });
      const live: MembershipInputs = {
        ...inputsOf(props as unknown as Record<string, unknown>),
        size: summary.liveSize,
        members: summary.memberStatus.map((m) => m.name),
      };
      return { id, props: outputsOf(live, summary, props.latestSnapshot), inputs: live };
    },

    /**
     * Removes only what the provider owns, the join configuration. etcd members and volumes are
     * left to the StatefulSet and its PVC retention policy, which the same destroy deletes or keeps.
     */
    async delete(_id: string, props: MembershipOutputs) {
      const args = argsOf(props as unknown as Record<string, unknown>);
      await withWorkload(makeWorkload, args, async (w) => {
        await w.removeJoinConfig();
        const log = options.log ?? ((line: string) => console.log(line));
        log(
          `${PROGRESS_PREFIX} ${w.describe()}: removed the join configuration; etcd members and ` +
            "volumes are left to the StatefulSet and its volume retention policy",
        );
      });
    },
  };
}
