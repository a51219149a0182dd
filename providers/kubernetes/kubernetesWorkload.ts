/**
 * The membership provider's `Workload` on Kubernetes: the StatefulSet's scale subresource, its pods
 * and PVCs, the cluster record, the change lease, and client endpoints to its members.
 *
 * Serialization: the provider captures `createKubernetesWorkload` and Pulumi serializes it, with
 * every local function it reaches, by value. Nothing here holds a client at module scope; clients
 * are created when the factory runs inside a provider method, and npm modules are `require`d there.
 */
import {
  type ClusterIdentity,
  type MemberSlot,
  clusterIdentity,
  memberHost,
  memberSlot,
  statefulSetName,
} from "../../model/naming";
import type { ClientTLS } from "../etcd/security";
import type { MembershipArgs } from "../../model/membership/inputs";
import { progressLog } from "../membership/engineLog";
import { PROGRESS_PREFIX } from "../membership/reconciler";
import type { Endpoint, Workload } from "../membership/types";
import { openClientEndpoint } from "./clientEndpoints";
import { readClientTLS } from "./clientTls";
import { kubernetesChangeLease } from "./changeLease";
import { readRecord, removeRecord, writeRecord } from "./clusterRecord";
import { settleBudget } from "./disruptionBudget";
import { type KubeContext, connectKube } from "./kubeconfig";
import { deletePod, labelVoter, listPods } from "./pods";
import { patchReplicas, readCreatedAt, readReplicas } from "./statefulsetScale";
import { deleteVolume, listVolumes, replaceVolume } from "./volumes";

/** What reaching the members takes; the membership inputs carry it, and so do the defrag flags. */
export type WorkloadArgs = Pick<
  MembershipArgs,
  | "clusterName"
  | "namespace"
  | "clusterDomain"
  | "access"
  | "endpointTemplate"
  | "kubeconfig"
  | "tls"
  | "__urn"
>;

export function createKubernetesWorkload(args: WorkloadArgs): Workload {
  const identity = clusterIdentity({ ...args, tls: args.tls !== undefined });
  const ctx = connectKube(identity, args.kubeconfig);
  const slot = slotsOf(identity);
  const endpoints = trackedEndpoints(ctx, args, identity, slot);
  return {
    describe: () => `StatefulSet ${identity.namespace}/${statefulSetName(identity)}`,
    slot,
    createdAt: () => readCreatedAt(ctx),
    replicas: () => readReplicas(ctx),
    scale: (replicas) => patchReplicas(ctx, replicas),
    pods: () => listPods(ctx),
    restartPod: (ordinal) => deletePod(ctx, slot(ordinal).ordinal),
    labelVoter: async (ordinal, voter) => {
      await labelVoter(ctx, slot(ordinal).ordinal, voter);
      if (!voter) await settleBudget(ctx, (line) => progress(args, line));
    },
    volumes: () => listVolumes(ctx),
    deleteVolume: (ordinal) => deleteVolume(ctx, slot(ordinal).ordinal),
    replaceVolume: (ordinal) => replaceVolume(ctx, slot(ordinal).ordinal),
    readRecord: () => readRecord(ctx),
    writeRecord: (record) => writeRecord(ctx, record, slot),
    removeRecord: () => removeRecord(ctx),
    lease: () => kubernetesChangeLease(ctx),
    clientEndpoint: endpoints.open,
    clientTLS: clientTLSOnce(ctx, args),
    close: endpoints.closeAll,
  };
}

function slotsOf(identity: ClusterIdentity): (ordinal: number) => MemberSlot {
  return (ordinal) => {
    if (!Number.isInteger(ordinal) || ordinal < 0) {
      throw new Error(
        `ordinal: ${JSON.stringify(ordinal)} is not allowed; it must be a whole number, 0 or more`,
      );
    }
    return memberSlot(identity, ordinal);
  };
}

/** A line among the run's progress lines, under the membership resource when there is an engine. */
const progress = (args: WorkloadArgs, line: string): void =>
  progressLog(args.__urn)(`${PROGRESS_PREFIX} ${line}`);

/** The endpoints handed out, so that closing the workload closes those still open. */
function trackedEndpoints(
  ctx: KubeContext,
  args: WorkloadArgs,
  identity: ClusterIdentity,
  slot: (ordinal: number) => MemberSlot,
) {
  const open = new Set<Endpoint>();
  return {
    open: async (ordinal: number): Promise<Endpoint> => {
      const endpoint = await openClientEndpoint(ctx, args, slot(ordinal));
      // A port-forward's or pod IP's address is not in the member's certificate; its DNS name is.
      const serverName =
        args.tls && args.access !== "endpoints" ? memberHost(identity, ordinal) : undefined;
      // Closing through the workload or directly both forget it, so `close()` never closes twice.
      const tracked: Endpoint = {
        url: endpoint.url,
        ...(serverName ? { serverName } : {}),
        close: async () => {
          if (open.delete(tracked)) await endpoint.close();
        },
      };
      open.add(tracked);
      return tracked;
    },
    closeAll: async (): Promise<void> => {
      await Promise.all([...open].map((endpoint) => endpoint.close()));
    },
  };
}

/** The client certificate, read from its Secret once per workload. */
function clientTLSOnce(ctx: KubeContext, args: WorkloadArgs): () => Promise<ClientTLS | undefined> {
  let clientTLS: Promise<ClientTLS> | undefined;
  return async () => {
    if (!args.tls) return undefined;
    clientTLS ??= readClientTLS(ctx, args.tls.clientSecret);
    return clientTLS;
  };
}
