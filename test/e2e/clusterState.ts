/**
 * What is running, read independently of the provider: the StatefulSet, its pods and volumes from
 * the API server, and the etcd member list and each member's status with etcd3, straight at the pod
 * IPs (reachable from the host with the process kubelet). Used by the scenarios' checks and by the
 * demo's table.
 */
import * as k8s from "@kubernetes/client-node";
import * as cockatiel from "cockatiel";
import { Etcd3, type IOptions } from "etcd3";
import {
  CLIENT_PORT,
  type ClusterIdentity,
  DATA_VOLUME,
  joinConfigMapName,
  statefulSetName,
} from "../../model/naming";
import type { ClientTLS } from "../../providers/etcd/security";
import { isReady } from "./support/pods";

export interface PodRow {
  name: string;
  /** The pod phase, or `Terminating` once it is being deleted. */
  phase: string;
  ready: boolean;
  restarts: number;
  podIP?: string;
  /** The StatefulSet revision the pod runs. */
  revision?: string;
  /** The last exit as the kubelet reported it: reason, code and the last log line. */
  lastExit?: string;
}

export interface MemberRow {
  name: string;
  /** Hex, as etcdctl prints it. */
  id: string;
  peerURL: string;
  role: "voter" | "learner";
  leader: boolean;
  /** Its own endpoint answers Status, knows a leader and reports no errors. */
  healthy: boolean;
}

export interface VolumeRow {
  name: string;
  phase: string;
}

export interface ClusterState {
  /** The StatefulSet's spec.replicas; undefined when there is no StatefulSet. */
  replicas?: number;
  /** Every pod runs the StatefulSet's current template. */
  rolledOut: boolean;
  pods: PodRow[];
  members: MemberRow[];
  /** Why no member list could be read, when none could. */
  membersError?: string;
  volumes: VolumeRow[];
  joinConfigMap: boolean;
}

export const hexId = (decimal: string): string => BigInt(decimal).toString(16);

/**
 * How the checks reach members that require TLS: a client certificate, and the DNS name to verify
 * the members by (a pod IP is not in their certificate; one member's name fits every member's).
 */
export interface EtcdTLS {
  /** Without `cert` and `key`: a client that has no certificate to show. */
  credentials: Pick<ClientTLS, "ca"> & Partial<ClientTLS>;
  serverName: string;
}

const clientURL = (podIP: string, tls?: EtcdTLS): string =>
  `${tls ? "https" : "http"}://${podIP}:${CLIENT_PORT}`;

/** One client per member (etcd3 spreads calls over its hosts), no retries, a short deadline. */
export function etcdClient(podIPs: string | string[], deadlineMs = 3_000, tls?: EtcdTLS): Etcd3 {
  type Policy = NonNullable<NonNullable<IOptions["faultHandling"]>["global"]>;
  const noRetry = cockatiel.noop as unknown as Policy;
  const { ca, cert, key } = tls?.credentials ?? {};
  return new Etcd3({
    hosts: (Array.isArray(podIPs) ? podIPs : [podIPs]).map((ip) => clientURL(ip, tls)),
    ...(ca ? { credentials: { rootCertificate: ca, certChain: cert, privateKey: key } } : {}),
    ...(tls ? { grpcOptions: { "grpc.ssl_target_name_override": tls.serverName } } : {}),
    dialTimeout: deadlineMs,
    faultHandling: { host: () => noRetry, global: noRetry },
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + deadlineMs }),
  });
}

/** Runs `use` with a client, always closing it (an open client keeps Node alive). */
export async function withEtcd<T>(
  podIPs: string | string[],
  use: (client: Etcd3) => Promise<T>,
  tls?: EtcdTLS,
): Promise<T> {
  const client = etcdClient(podIPs, undefined, tls);
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

/** etcd-2 before etcd-10. */
const byName = (a: { name: string }, b: { name: string }): number =>
  a.name.localeCompare(b.name, "en", { numeric: true });

const isNotFound = (error: unknown) => (error as { code?: number }).code === 404;

function lastLine(text: string | undefined): string | undefined {
  return text
    ?.split("\n")
    .filter((l) => l.trim() !== "")
    .pop();
}

function podRow(pod: k8s.V1Pod): PodRow {
  const status = pod.status?.containerStatuses?.[0];
  const exit = status?.lastState?.terminated;
  return {
    name: pod.metadata?.name ?? "",
    phase: pod.metadata?.deletionTimestamp ? "Terminating" : (pod.status?.phase ?? "Unknown"),
    ready: isReady(pod),
    restarts: status?.restartCount ?? 0,
    ...(pod.status?.podIP ? { podIP: pod.status.podIP } : {}),
    ...(pod.metadata?.labels?.["controller-revision-hash"]
      ? { revision: pod.metadata.labels["controller-revision-hash"] }
      : {}),
    ...(exit
      ? {
          lastExit: `${exit.reason ?? "exited"} (code ${exit.exitCode}): ${lastLine(exit.message)}`,
        }
      : {}),
  };
}

async function readMembers(
  pods: PodRow[],
  tls?: EtcdTLS,
): Promise<{ members: MemberRow[]; membersError?: string }> {
  const reachable = pods.filter((p) => p.podIP && p.phase !== "Terminating");
  const statuses = new Map<string, { leader: string; healthy: boolean }>();
  await Promise.all(
    reachable.map(async (pod) => {
      try {
        const status = await withEtcd(pod.podIP!, (c) => c.maintenance.status(), tls);
        statuses.set(hexId(status.header.member_id), {
          leader: status.leader === "0" ? "" : hexId(status.leader),
          healthy: status.leader !== "0" && (status.errors ?? []).length === 0,
        });
      } catch {
        // Not answering: its member (if any) shows as unhealthy.
      }
    }),
  );
  const errors: string[] = [];
  for (const pod of reachable) {
    try {
      const list = await withEtcd(pod.podIP!, (c) => c.cluster.memberList({}), tls);
      const leaders = [...statuses.values()].map((s) => s.leader).filter(Boolean);
      return {
        members: list.members.sort(byName).map((m) => {
          const id = hexId(m.ID);
          return {
            name: m.name,
            id,
            peerURL: m.peerURLs.join(" "),
            role: m.isLearner ? "learner" : "voter",
            leader: leaders.includes(id),
            healthy: statuses.get(id)?.healthy ?? false,
          };
        }),
      };
    } catch (error) {
      errors.push(`${pod.name}: ${(error as Error).message}`);
    }
  }
  return { members: [], membersError: errors.join("; ") || "no pod to ask" };
}

export async function readClusterState(
  config: k8s.KubeConfig,
  cluster: ClusterIdentity,
  tls?: EtcdTLS,
): Promise<ClusterState> {
  const core = config.makeApiClient(k8s.CoreV1Api);
  const apps = config.makeApiClient(k8s.AppsV1Api);
  const { namespace } = cluster;
  const name = statefulSetName(cluster);
  const statefulSet = await apps.readNamespacedStatefulSet({ name, namespace }).catch((error) => {
    if (isNotFound(error)) return undefined;
    throw error;
  });
  const [podList, claimList, joinConfigMap] = await Promise.all([
    core.listNamespacedPod({ namespace }),
    core.listNamespacedPersistentVolumeClaim({ namespace }),
    core.readNamespacedConfigMap({ name: joinConfigMapName(cluster), namespace }).then(
      () => true,
      (error) => {
        if (isNotFound(error)) return false;
        throw error;
      },
    ),
  ]);
  const ours = (n: string | undefined, prefix: string) => n?.startsWith(prefix) ?? false;
  const pods = podList.items
    .filter((p) => ours(p.metadata?.name, `${name}-`))
    .map(podRow)
    .sort(byName);
  const volumes = claimList.items
    .filter((c) => ours(c.metadata?.name, `${DATA_VOLUME}-${name}-`))
    .map((c) => ({ name: c.metadata?.name ?? "", phase: c.status?.phase ?? "Unknown" }))
    .sort(byName);
  const update = statefulSet?.status?.updateRevision;
  return {
    ...(statefulSet ? { replicas: statefulSet.spec?.replicas ?? 0 } : {}),
    rolledOut: update !== undefined && pods.every((p) => p.revision === update),
    pods,
    ...(await readMembers(pods, tls)),
    volumes,
    joinConfigMap,
  };
}
