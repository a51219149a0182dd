/**
 * The membership lease on Kubernetes: a `coordination.k8s.io/v1` Lease `<name>-membership` in the
 * cluster's namespace. Every write is a create or a replace carrying the resourceVersion last read,
 * so two runs never both take it (a 409 means someone else wrote; the logic in
 * ../membership/lease.ts reads again and decides). A replace also carries the Lease's uid: the API
 * server creates a missing Lease on update, so without it a renewal would silently recreate a
 * Lease deleted under its holder instead of failing; with it, that update is a 409 as well.
 *
 * client-node 2.0.1 types `acquireTime`/`renewTime` as `V1MicroTime` (a Date whose ISO string has
 * microseconds, as the API server requires) but hands them back as the server's strings: its
 * deserializer does not know the type. Both are therefore written as V1MicroTime and read as text.
 */
import type { CoordinationV1Api, V1Lease, V1MicroTime } from "@kubernetes/client-node";
import { statefulSetName } from "../../model/naming";
import {
  changeLease,
  type ChangeLease,
  type LeaseContent,
  type LeaseRecord,
  type LeaseStore,
} from "../membership/lease";
import { INSTANCE_LABEL, MANAGED_BY, MANAGED_BY_LABEL } from "./clusterRecord";
import {
  type CallLimits,
  callKube,
  callKubeOrAbsent,
  DEFAULT_CALL_LIMITS,
  isConflict,
  isNotFound,
} from "./kubeCall";
import type { KubeContext } from "./kubeconfig";
import { clientNode } from "./modules";

/**
 * Shorter than other calls: a renewal stuck for the default 15 s per attempt would outlast the
 * lease. A failed renewal is retried by the next one anyway.
 */
export const LEASE_CALL_LIMITS: CallLimits = {
  ...DEFAULT_CALL_LIMITS,
  attemptTimeoutMs: 5_000,
  retries: 1,
};

export const membershipLeaseName = (ctx: KubeContext): string => `${ctx.identity.name}-membership`;

export function kubernetesChangeLease(
  ctx: KubeContext,
  limits: CallLimits = LEASE_CALL_LIMITS,
): ChangeLease {
  return changeLease(kubernetesLeaseStore(ctx, limits));
}

/** The store alone, for tests that interpose on it (a holder frozen mid-run). */
export function kubernetesLeaseStore(
  ctx: KubeContext,
  limits: CallLimits = LEASE_CALL_LIMITS,
): LeaseStore {
  const api = ctx.kubeConfig.makeApiClient(clientNode().CoordinationV1Api);
  const name = membershipLeaseName(ctx);
  const { namespace } = ctx.identity;
  const where = `Lease ${namespace}/${name}`;
  const call = { api, name, namespace, where, server: ctx.server, limits };
  return {
    name: where,
    subject: `StatefulSet ${namespace}/${statefulSetName(ctx.identity)}`,
    read: () => readLease(call),
    create: (content) => createLease(call, leaseObject(ctx, content)),
    replace: (version, content) => replaceLease(call, leaseObject(ctx, content, version)),
  };
}

interface LeaseCall {
  api: CoordinationV1Api;
  name: string;
  namespace: string;
  where: string;
  server: string;
  limits: CallLimits;
}

function microTime(iso: string | undefined): V1MicroTime | undefined {
  return iso === undefined ? undefined : new (clientNode().V1MicroTime)(iso);
}

/** The API gives MicroTime back as text despite its Date type (see above); either way, ISO text. */
function timeText(value: unknown): string | undefined {
  if (value instanceof Date) return value.toISOString();
  return typeof value === "string" ? value : undefined;
}

/** The store's version token: resourceVersion and uid, both preconditions of a replace. */
const versionToken = (resourceVersion: string, uid: string): string => `${resourceVersion}/${uid}`;

function preconditions(version: string): { resourceVersion: string; uid: string } {
  const [resourceVersion, uid] = version.split("/");
  return { resourceVersion, uid };
}

function leaseObject(ctx: KubeContext, content: LeaseContent, version?: string): V1Lease {
  return {
    apiVersion: "coordination.k8s.io/v1",
    kind: "Lease",
    metadata: {
      name: membershipLeaseName(ctx),
      namespace: ctx.identity.namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [INSTANCE_LABEL]: ctx.identity.name },
      ...(version === undefined ? {} : preconditions(version)),
    },
    spec: {
      holderIdentity: content.holder,
      // Whole seconds only: rounded up, so others never wait less than this run renews for.
      leaseDurationSeconds:
        content.durationMs === undefined ? undefined : Math.ceil(content.durationMs / 1000),
      acquireTime: microTime(content.acquireTime),
      renewTime: microTime(content.renewTime),
      leaseTransitions: content.transitions,
    },
  };
}

function recordOf(lease: V1Lease, where: string): LeaseRecord {
  const spec = lease.spec ?? {};
  const { resourceVersion, uid } = lease.metadata ?? {};
  if (resourceVersion === undefined || uid === undefined) {
    throw new Error(`${where}: the API returned it without resourceVersion or uid`);
  }
  return {
    holder: spec.holderIdentity ?? "",
    durationMs:
      spec.leaseDurationSeconds === undefined ? undefined : spec.leaseDurationSeconds * 1000,
    acquireTime: timeText(spec.acquireTime),
    renewTime: timeText(spec.renewTime),
    transitions: spec.leaseTransitions ?? 0,
    version: versionToken(resourceVersion, uid),
  };
}

async function readLease(call: LeaseCall): Promise<LeaseRecord | undefined> {
  const lease = await callKubeOrAbsent(
    `read ${call.where}`,
    call.server,
    (o) => call.api.readNamespacedLease({ name: call.name, namespace: call.namespace }, o),
    call.limits,
  );
  return lease === undefined ? undefined : recordOf(lease, call.where);
}

async function createLease(call: LeaseCall, body: V1Lease): Promise<LeaseRecord | undefined> {
  try {
    const created = await callKube(
      `create ${call.where}`,
      call.server,
      (o) => call.api.createNamespacedLease({ namespace: call.namespace, body }, o),
      {},
      call.limits,
    );
    return recordOf(created, call.where);
  } catch (error) {
    if (isConflict(error)) return undefined;
    throw error;
  }
}

/** Undefined when the Lease moved past the version in `body`, or is gone (409, or 404). */
async function replaceLease(call: LeaseCall, body: V1Lease): Promise<LeaseRecord | undefined> {
  try {
    const replaced = await callKube(
      `replace ${call.where}`,
      call.server,
      (o) =>
        call.api.replaceNamespacedLease({ name: call.name, namespace: call.namespace, body }, o),
      {},
      call.limits,
    );
    return recordOf(replaced, call.where);
  } catch (error) {
    if (isConflict(error) || isNotFound(error)) return undefined;
    throw error;
  }
}
