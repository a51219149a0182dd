/** The demo's view of the cluster as text: members, pods and volumes, one small table each. */
import { formatTable } from "../../support/table";
import type { ClusterState } from "../clusterState";

const yesNo = (b: boolean): string => (b ? "yes" : "no");

export function renderState(state: ClusterState): string[] {
  const members =
    state.members.length > 0
      ? formatTable(
          ["MEMBER", "ID", "ROLE", "HEALTHY", "LEADER"],
          state.members.map((m) => [
            m.name || "(not started)",
            m.id,
            m.role,
            yesNo(m.healthy),
            m.leader ? "*" : "",
          ]),
          "  ",
        )
      : [`  no member list yet${state.membersError ? ` (${state.membersError})` : ""}`];
  const pods =
    state.pods.length > 0
      ? formatTable(
          ["POD", "PHASE", "READY", "RESTARTS", "POD IP"],
          state.pods.map((p) => [
            p.name,
            p.phase,
            yesNo(p.ready),
            String(p.restarts),
            p.podIP ?? "",
          ]),
          "  ",
        )
      : ["  no pods"];
  const volumes =
    state.volumes.length > 0
      ? formatTable(
          ["VOLUME (PVC)", "STATUS"],
          state.volumes.map((v) => [v.name, v.phase]),
          "  ",
        )
      : ["  no volumes"];
  return [
    "etcd members (etcd's own member list, read from the pods):",
    ...members,
    `Kubernetes pods (StatefulSet replicas: ${state.replicas ?? "none"}):`,
    ...pods,
    "Volumes:",
    ...volumes,
  ];
}
