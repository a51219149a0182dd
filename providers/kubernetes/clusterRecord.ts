/**
 * The cluster record on Kubernetes: the ConfigMap `<name>-join`. Its data are the join settings
 * the pods read as environment (`envFrom`, at start only); its annotations are the record they
 * derive from (../membership/record.ts). One object, so record and settings change in one write.
 *
 * A finalizer keeps it from disappearing under running pods when deleted by hand: it stays,
 * marked for deletion, until the provider writes it again (or removes it on `pulumi destroy`).
 */
import type { V1ConfigMap } from "@kubernetes/client-node";
import { JOIN_KEYS, type JoinSettings } from "../../model/joinContract";
import {
  joinConfigMapName,
  podName,
  type ClusterIdentity,
  type MemberSlot,
} from "../../model/naming";
import {
  type ClusterRecord,
  type RecordReading,
  formatMembers,
  joinSettings,
  parseMembers,
} from "../membership/record";
import { callKube, callKubeOrAbsent, isConflict, unlessAbsent } from "./kubeCall";
import type { KubeContext } from "./kubeconfig";
import { ordinalOf } from "./podState";
import { DEFAULT_WAIT_LIMITS, waitUntil } from "./wait";

export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "etcd-k8s-membership-provider";
export const INSTANCE_LABEL = "app.kubernetes.io/instance";
/** The field manager of every write, whose timestamp in managedFields dates the record. */
export const FIELD_MANAGER = "etcd-k8s-membership";
export const RECORD_FINALIZER = "etcd-k8s.io/cluster-record";

const ANNOTATION = {
  owner: "etcd-k8s.io/owner",
  clusterId: "etcd-k8s.io/cluster-id",
  members: "etcd-k8s.io/members",
  joining: "etcd-k8s.io/joining",
  awaiting: "etcd-k8s.io/awaiting",
  about: "etcd-k8s.io/about",
} as const;

const ABOUT =
  "Written by the etcd-k8s membership provider; do not edit. Pods read the data at start. Only a member " +
  "named plainly in ETCD_INITIAL_CLUSTER (the founding member, or the learner being added) may start on an " +
  "empty volume; members listed as <name>.started must start on their own data, and etcd refuses to start " +
  "them without it.";

const where = (identity: ClusterIdentity): string =>
  `ConfigMap ${identity.namespace}/${joinConfigMapName(identity)}`;

export function recordConfigMap(
  identity: ClusterIdentity,
  record: ClusterRecord,
  slotOf: (k: number) => MemberSlot,
): V1ConfigMap {
  const join = joinSettings(record, slotOf);
  const annotations: Record<string, string> = {
    [ANNOTATION.owner]: record.owner,
    [ANNOTATION.members]: formatMembers(record, slotOf),
    [ANNOTATION.about]: ABOUT,
  };
  if (record.clusterId !== undefined) annotations[ANNOTATION.clusterId] = record.clusterId;
  if (record.joining !== undefined) annotations[ANNOTATION.joining] = slotOf(record.joining).name;
  if (record.awaiting !== undefined)
    annotations[ANNOTATION.awaiting] = record.awaiting.map((k) => slotOf(k).name).join(",");
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: joinConfigMapName(identity),
      namespace: identity.namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [INSTANCE_LABEL]: identity.name },
      annotations,
      finalizers: [RECORD_FINALIZER],
    },
    data: {
      [JOIN_KEYS.initialCluster]: join.initialCluster,
      [JOIN_KEYS.state]: join.state,
      [JOIN_KEYS.token]: join.token,
    },
  };
}

/** The join settings as stored; a ConfigMap edited into something etcd would not accept is refused. */
function joinSettingsOf(identity: ClusterIdentity, configMap: V1ConfigMap): JoinSettings {
  const initialCluster = configMap.data?.[JOIN_KEYS.initialCluster];
  const state = configMap.data?.[JOIN_KEYS.state];
  if (typeof initialCluster !== "string" || initialCluster === "")
    throw new Error(`${where(identity)}: key ${JOIN_KEYS.initialCluster} is missing or empty`);
  if (state !== "new" && state !== "existing")
    throw new Error(
      `${where(identity)}: key ${JOIN_KEYS.state} is ${JSON.stringify(state)}; it must be "new" or "existing"`,
    );
  return { initialCluster, state, token: configMap.data?.[JOIN_KEYS.token] ?? "" };
}

/** The record in the annotations; undefined for a ConfigMap of an earlier version (no owner). */
function recordOf(identity: ClusterIdentity, configMap: V1ConfigMap): ClusterRecord | undefined {
  const annotations = configMap.metadata?.annotations ?? {};
  const owner = annotations[ANNOTATION.owner];
  if (owner === undefined) return undefined;
  const ordinal = (name: string) => ordinalOf(name, `${identity.name}-`);
  const members = parseMembers(annotations[ANNOTATION.members] ?? "", ordinal);
  if (!members)
    throw new Error(
      `${where(identity)}: annotation ${ANNOTATION.members} is ${JSON.stringify(annotations[ANNOTATION.members])}; ` +
        `it must list ${podName(identity, 0)}=<hex member ID> pairs`,
    );
  const joiningName = annotations[ANNOTATION.joining];
  const joining = joiningName === undefined ? undefined : ordinal(joiningName);
  const clusterId = annotations[ANNOTATION.clusterId];
  const awaitingNames = annotations[ANNOTATION.awaiting];
  const awaiting = awaitingNames?.split(",").map((name) => ordinal(name));
  if (awaiting?.some((k) => k === undefined))
    throw new Error(
      `${where(identity)}: annotation ${ANNOTATION.awaiting} is ${JSON.stringify(awaitingNames)}; it must list member names`,
    );
  return {
    owner,
    token: configMap.data?.[JOIN_KEYS.token] ?? "",
    members,
    ...(clusterId === undefined ? {} : { clusterId }),
    ...(joining === undefined ? {} : { joining }),
    ...(awaiting === undefined ? {} : { awaiting: awaiting as number[] }),
  };
}

/** When this provider last wrote it, by the API server's clock (which also dates pods). */
function writtenAt(configMap: V1ConfigMap): number | undefined {
  const times = (configMap.metadata?.managedFields ?? [])
    .filter((f) => f.manager === FIELD_MANAGER && f.time !== undefined)
    .map((f) => new Date(f.time as unknown as string).getTime());
  if (times.length > 0) return Math.max(...times);
  const created = configMap.metadata?.creationTimestamp;
  return created === undefined ? undefined : new Date(created as unknown as string).getTime();
}

export function readingOf(identity: ClusterIdentity, configMap: V1ConfigMap): RecordReading {
  const record = recordOf(identity, configMap);
  const at = writtenAt(configMap);
  return {
    location: where(identity),
    join: joinSettingsOf(identity, configMap),
    doomed: configMap.metadata?.deletionTimestamp !== undefined,
    ...(record ? { record } : {}),
    ...(at === undefined ? {} : { writtenAt: at }),
  };
}

const readConfigMap = (ctx: KubeContext) =>
  callKubeOrAbsent(`read ${where(ctx.identity)}`, ctx.server, (o) =>
    ctx.core.readNamespacedConfigMap(
      { name: joinConfigMapName(ctx.identity), namespace: ctx.identity.namespace },
      o,
    ),
  );

export async function readRecord(ctx: KubeContext): Promise<RecordReading | undefined> {
  const configMap = await readConfigMap(ctx);
  return configMap ? readingOf(ctx.identity, configMap) : undefined;
}

/** Lets a ConfigMap marked for deletion go, and waits until it is gone. */
async function releaseFinalizer(ctx: KubeContext): Promise<void> {
  const { namespace } = ctx.identity;
  const name = joinConfigMapName(ctx.identity);
  await unlessAbsent(
    callKube(
      `remove finalizer ${RECORD_FINALIZER} from ${where(ctx.identity)}`,
      ctx.server,
      (o) =>
        ctx.core.patchNamespacedConfigMap(
          { name, namespace, body: { metadata: { finalizers: null } } },
          o,
        ),
      { "Content-Type": "application/merge-patch+json" },
    ),
  );
}

/**
 * Creates the ConfigMap, or replaces it: the provider is its only writer (under the lease). One
 * marked for deletion is let go first and created anew, so its deletion never completes later.
 */
export async function writeRecord(
  ctx: KubeContext,
  record: ClusterRecord,
  slotOf: (k: number) => MemberSlot,
): Promise<void> {
  const body = recordConfigMap(ctx.identity, record, slotOf);
  const { namespace } = ctx.identity;
  const name = joinConfigMapName(ctx.identity);
  const existing = await readConfigMap(ctx);
  if (existing?.metadata?.deletionTimestamp) {
    await releaseFinalizer(ctx);
    await waitUntil(
      `${where(ctx.identity)} to be gone before it is written again`,
      async () => ((await readConfigMap(ctx)) ? "it still exists" : undefined),
      DEFAULT_WAIT_LIMITS,
    );
  } else if (existing) {
    await callKube(`replace ${where(ctx.identity)}`, ctx.server, (o) =>
      ctx.core.replaceNamespacedConfigMap(
        { name, namespace, body, fieldManager: FIELD_MANAGER },
        o,
      ),
    );
    return;
  }
  try {
    await callKube(`create ${where(ctx.identity)}`, ctx.server, (o) =>
      ctx.core.createNamespacedConfigMap({ namespace, body, fieldManager: FIELD_MANAGER }, o),
    );
  } catch (error) {
    if (!isConflict(error)) throw error;
    await callKube(`replace ${where(ctx.identity)}`, ctx.server, (o) =>
      ctx.core.replaceNamespacedConfigMap(
        { name, namespace, body, fieldManager: FIELD_MANAGER },
        o,
      ),
    );
  }
}

export async function removeRecord(ctx: KubeContext): Promise<void> {
  await releaseFinalizer(ctx);
  await unlessAbsent(
    callKube(`delete ${where(ctx.identity)}`, ctx.server, (o) =>
      ctx.core.deleteNamespacedConfigMap(
        { name: joinConfigMapName(ctx.identity), namespace: ctx.identity.namespace },
        o,
      ),
    ),
  );
}
