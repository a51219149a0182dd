/**
 * Reads the live state the plan needs: the workload (replicas, pods, volumes, the cluster record)
 * and etcd (Status from every member's own endpoint, then the member list and alarms from the
 * leader, or from any member that answers).
 */
import type { EtcdAdmin } from "../etcd/admin";
import { errorText } from "../etcd/errors";
import type { Alarm, ClusterReading, Observation, StatusReading } from "./observation";
import type { Endpoint, Workload } from "./types";

export type MemberTarget = Pick<Endpoint, "url" | "serverName">;

/** Client endpoints by ordinal, opened on first use and kept for the run (port-forwards are costly). */
export class Endpoints {
  private readonly open = new Map<number, Endpoint>();

  constructor(
    private readonly workload: Workload,
    private readonly admin: EtcdAdmin,
  ) {}

  async url(ordinal: number): Promise<string> {
    return (await this.target(ordinal)).url;
  }

  /** The URL with the name the member's certificate carries, for another adapter to verify it. */
  async target(ordinal: number): Promise<MemberTarget> {
    let endpoint = this.open.get(ordinal);
    if (!endpoint) {
      endpoint = await this.workload.clientEndpoint(ordinal);
      this.open.set(ordinal, endpoint);
      if (endpoint.serverName) this.admin.expectServerName(endpoint.url, endpoint.serverName);
    }
    return { url: endpoint.url, serverName: endpoint.serverName };
  }

  /** Forgets an endpoint that failed, so the next observation opens a fresh one. */
  async drop(ordinal: number): Promise<void> {
    const endpoint = this.open.get(ordinal);
    if (!endpoint) return;
    this.open.delete(ordinal);
    this.admin.forget(endpoint.url);
    await endpoint.close();
  }

  async closeAll(): Promise<void> {
    for (const ordinal of [...this.open.keys()]) await this.drop(ordinal);
  }
}

async function readStatus(
  ordinal: number,
  endpoints: Endpoints,
  admin: EtcdAdmin,
): Promise<StatusReading> {
  try {
    const status = await admin.status(await endpoints.url(ordinal));
    return { ordinal, ok: true, ...status };
  } catch (error) {
    await endpoints.drop(ordinal);
    return { ordinal, ok: false, error: errorText(error) };
  }
}

/** Members that say they lead first, then voters, then learners (3.4 learners refuse most calls). */
function askOrder(statuses: StatusReading[]): number[] {
  const rank = (s: StatusReading) =>
    !s.ok ? 3 : s.leader === s.memberId ? 0 : s.isLearner ? 2 : 1;
  return statuses
    .filter((s) => s.ok)
    .sort((a, b) => rank(a) - rank(b))
    .map((s) => s.ordinal);
}

async function readCluster(
  statuses: StatusReading[],
  endpoints: Endpoints,
  admin: EtcdAdmin,
): Promise<{ cluster: ClusterReading; alarms: Alarm[] }> {
  const failures = statuses.flatMap((s) => (s.ok ? [] : [`ordinal ${s.ordinal}: ${s.error}`]));
  for (const ordinal of askOrder(statuses)) {
    try {
      const url = await endpoints.url(ordinal);
      const [list, alarms] = await Promise.all([admin.memberList(url), admin.alarms(url)]);
      return { cluster: { reachable: true, ...list }, alarms };
    } catch (error) {
      failures.push(`ordinal ${ordinal}: ${errorText(error)}`);
    }
  }
  const reason = statuses.length === 0 ? "there is no pod to ask" : failures.join("; ");
  return { cluster: { reachable: false, reason }, alarms: [] };
}

export async function observe(
  workload: Workload,
  endpoints: Endpoints,
  admin: EtcdAdmin,
): Promise<Observation> {
  // Members sit below the replica count (pods above it are on their way out), so their Status is
  // asked at once, alongside the slower workload reads.
  const replicas = await workload.replicas();
  const [pods, volumes, record, workloadCreatedAt, statuses] = await Promise.all([
    workload.pods(),
    workload.volumes(),
    workload.readRecord(),
    workload.createdAt(),
    Promise.all([...Array(replicas).keys()].map((k) => readStatus(k, endpoints, admin))),
  ]);
  const { cluster, alarms } = await readCluster(statuses, endpoints, admin);
  return {
    cluster,
    statuses,
    alarms,
    replicas,
    pods,
    volumes,
    ...(record ? { record } : {}),
    ...(workloadCreatedAt === undefined ? {} : { workloadCreatedAt }),
  };
}

/** The ordinal whose member says it leads: membership calls go there. */
export function leaderOrdinal(o: Observation): number | undefined {
  return o.statuses.find((s) => s.ok && s.leader === s.memberId)?.ordinal;
}

/** The ordinals whose members answered as voters of the observed cluster. */
export function voterOrdinals(o: Observation): number[] {
  if (!o.cluster.reachable) return [];
  const { clusterId, members } = o.cluster;
  const voters = new Set(members.filter((m) => !m.isLearner).map((m) => m.id));
  return o.statuses
    .filter((s) => s.ok && s.clusterId === clusterId && voters.has(s.memberId) && !s.isLearner)
    .map((s) => s.ordinal);
}
