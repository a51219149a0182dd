/**
 * The one way the provider changes the replica count. Whatever step asks for it, a scale that
 * would stop the pod of a recorded voter, or any scale down without a record of the cluster's
 * members, is refused here: fewer pods than voters is impossible by construction, on every path.
 */
import { recordedVoters } from "./record";
import type { Workload } from "./types";

export async function scaleWorkload(workload: Workload, replicas: number): Promise<void> {
  const current = await workload.replicas();
  if (replicas < current) {
    const record = (await workload.readRecord())?.record;
    if (record?.clusterId === undefined)
      throw new Error(
        `refused to scale ${workload.describe()} from ${current} to ${replicas}: there is no record of the cluster's members to show that no voter's pod would stop`,
      );
    const stopped = recordedVoters(record).filter((k) => k >= replicas);
    if (stopped.length > 0)
      throw new Error(
        `refused to scale ${workload.describe()} from ${current} to ${replicas}: it would stop the pod of voter(s) ${stopped
          .map((k) => workload.slot(k).name)
          .join(", ")}`,
      );
  }
  await workload.scale(replicas);
}
