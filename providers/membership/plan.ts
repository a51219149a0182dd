/**
 * The membership plan: from one observation of the live system, the single next step towards the
 * goal, or done, or a refusal that changes nothing. Pure, so every rule is unit-tested and a rerun
 * after any interruption resumes from whatever the live state is (DESIGN.md invariants 1-7).
 */
import { alarmRefusal } from "./alarmAdvice";
import {
  type ClusterView,
  type SlotMember,
  answer,
  describeMember,
  describePod,
  isCaughtUp,
  viewCluster,
  voterProblem,
} from "./clusterView";
import type { Goal, LiveMember, Observation, SlotOf } from "./observation";
import { type Decision, type Step, initialCluster, volumeName } from "./steps";
import type { JoinConfig } from "./types";

const step = (s: Step): Decision => ({ kind: "step", step: s });
const refuse = (reason: string): Decision => ({ kind: "refuse", reason });

const sameJoin = (a: JoinConfig | undefined, b: JoinConfig): boolean =>
  a !== undefined && a.state === b.state && a.initialCluster === b.initialCluster;

const names = (ordinals: number[], slotOf: SlotOf): string =>
  ordinals.map((k) => volumeName(slotOf(k))).join(", ");

function podLines(o: Observation, slotOf: SlotOf): string {
  if (o.pods.length === 0) return "no pods";
  return o.pods.map((p) => describePod(p, slotOf(p.ordinal).name)).join("; ");
}

export function plan(o: Observation, goal: Goal, slotOf: SlotOf): Decision {
  const earlier = refuseEarlierVolumes(o, goal, slotOf);
  if (earlier) return earlier;
  if (!o.cluster.reachable) return planBootstrap(o, o.cluster.reason, goal, slotOf);
  const view = viewCluster(o, o.cluster.members, o.cluster.clusterId, slotOf, goal.size);
  return (
    refuseUnknownMembers(view) ??
    repairWorkload(o, view, slotOf) ??
    refuseUnhealthy(o, view, slotOf) ??
    planLearner(o, view, goal) ??
    cleanUpVolumes(o, view, goal, slotOf) ??
    settleJoinConfig(o, view) ??
    planSize(o, view, goal, slotOf) ?? { kind: "done" }
  );
}

const bootstrapConfig = (slotOf: SlotOf): JoinConfig => ({
  state: "new",
  initialCluster: initialCluster([slotOf(0)]),
});

/**
 * On create, before the provider wrote anything: a fresh workload has volumes only for ordinals it
 * already runs (a StatefulSet's first pod), so any other volume holds an earlier cluster's data.
 */
function refuseEarlierVolumes(o: Observation, goal: Goal, slotOf: SlotOf): Decision | undefined {
  if (!goal.bootstrap) return undefined;
  const started = o.cluster.reachable
    ? o.joinConfig !== undefined
    : sameJoin(o.joinConfig, bootstrapConfig(slotOf));
  if (started || !o.volumes.some((k) => k >= o.replicas)) return undefined;
  return refuse(
    `volumes from an earlier cluster exist: ${names(o.volumes, slotOf)}. ` +
      "A new cluster never reuses them; delete them (after saving any data you need), then rerun.",
  );
}

/** No member answers: found the cluster on member 0 (create only), or refuse. */
function planBootstrap(o: Observation, reason: string, goal: Goal, slotOf: SlotOf): Decision {
  const first = slotOf(0);
  const config = bootstrapConfig(slotOf);
  if (!goal.bootstrap)
    return refuse(
      `no etcd member answers (${reason}); ${podLines(o, slotOf)}. ` +
        "Nothing was changed: start the members again (their pods and volumes), then rerun.",
    );
  if (!sameJoin(o.joinConfig, config)) {
    if (o.replicas > 1) return step({ kind: "scale", slot: first, replicas: 1, from: o.replicas });
    return step({ kind: "write-join-config", slot: first, config, purpose: "bootstrap" });
  }
  if (o.replicas !== 1) return step({ kind: "scale", slot: first, replicas: 1, from: o.replicas });
  return step({ kind: "wait", slot: first, until: "answering" });
}

function describeForeign(m: LiveMember): string {
  return `${m.name || "(unstarted)"} (id ${m.id}, peer URL ${m.peerURLs.join(" ") || "(none)"})`;
}

/** Members the provider cannot account for: it never guesses what they are for. */
function refuseUnknownMembers(view: ClusterView): Decision | undefined {
  if (view.foreign.length > 0)
    return refuse(
      `members whose peer URL matches no member slot of this cluster: ${view.foreign.map(describeForeign).join(", ")}. ` +
        "Remove them (etcdctl member remove <id>) or fix the cluster identity, then rerun.",
    );
  const next = view.voters.length;
  const strange = view.learners.find((l) => l.slot.ordinal !== next);
  if (strange)
    return refuse(
      `an unfinished learner this provider did not create: ${describeMember(strange)} at ${strange.member.peerURLs.join(" ")}; ` +
        `the next member slot is ordinal ${next}. Promote or remove it (etcdctl member remove ${strange.member.id}), then rerun.`,
    );
  const gap = view.voters.findIndex((v, i) => v.slot.ordinal !== i);
  if (gap >= 0)
    return refuse(
      `cannot change the size safely: voters must hold ordinals 0..${next - 1}, but ordinal ${gap} has no member ` +
        `while ${describeMember(view.voters[gap])} is a voter. Re-add the missing member or remove the out-of-order one, then rerun.`,
    );
  return undefined;
}

/**
 * Brings the replica count in line with the members: pods above the members are stopped (a
 * StatefulSet scaled around the provider, or a removed member), pods of existing voters restored.
 * Neither can cost quorum: no pod stopped here holds a member, every pod started holds its data.
 */
function repairWorkload(o: Observation, view: ClusterView, slotOf: SlotOf): Decision | undefined {
  const count = view.members.length;
  const voters = view.voters.length;
  if (o.replicas > count)
    return step({ kind: "scale", slot: slotOf(count), replicas: count, from: o.replicas });
  const above = o.pods.filter((p) => p.ordinal >= count).sort((a, b) => b.ordinal - a.ordinal);
  if (above.length > 0)
    return step({ kind: "wait", slot: slotOf(above[0].ordinal), until: "pod-gone" });
  if (o.replicas < voters) {
    const lost = view.voters.filter(
      (v) => v.slot.ordinal >= o.replicas && !o.volumes.includes(v.slot.ordinal),
    );
    if (lost.length > 0)
      return refuse(
        `cannot restore the pods of voters ${lost.map(describeMember).join(", ")}: their volumes are gone. ` +
          "Remove those members (etcdctl member remove <id>) while quorum allows, then rerun.",
      );
    return step({ kind: "scale", slot: slotOf(o.replicas), replicas: voters, from: o.replicas });
  }
  return undefined;
}

/** Invariant 6: every voter started and answering, a leader, no alarms; else name who is not. */
function refuseUnhealthy(o: Observation, view: ClusterView, slotOf: SlotOf): Decision | undefined {
  const bootstrapping = o.joinConfig?.state === "new" && view.members.length === 1;
  const sick = view.voters
    .map((v) => ({ v, problem: voterProblem(v) }))
    .filter((x) => x.problem !== undefined);
  if ((sick.length > 0 || !view.leader) && bootstrapping)
    return step({ kind: "wait", slot: slotOf(0), until: "answering" });
  // Alarms first: etcd also reports them as Status errors of every member, less readably.
  if (o.alarms.length > 0)
    return refuse(
      alarmRefusal(
        o.alarms,
        view.members.map((m) => ({ id: m.member.id, slot: m.slot })),
      ),
    );
  if (sick.length > 0) {
    // Waiting changes nothing, so it is as safe as refusing; it spares a rerun when the
    // StatefulSet replaces pods while the provider works (a template change with a size change).
    if (sick.every(({ v }) => beingReplaced(o, v)))
      return step({ kind: "wait", slot: sick[0].v.slot, until: "back" });
    const lines = sick.map(({ v, problem }) => {
      const pod = o.pods.find((p) => p.ordinal === v.slot.ordinal);
      return `${describeMember(v)} ${problem} [${describePod(pod, v.slot.name)}]`;
    });
    return refuse(
      `the cluster is not healthy, so nothing was changed: ${lines.join("; ")}. ` +
        "Bring these members back (their pods must run and answer), then rerun.",
    );
  }
  if (!view.leader)
    return refuse(
      `the cluster has no leader that its voters agree on (${view.voters.map((v) => `${v.slot.name} sees ${answer(v)?.leader ?? "none"}`).join(", ")}); nothing was changed.`,
    );
  return undefined;
}

/**
 * A started voter that does not answer because its pod is being replaced rather than failing: the
 * pod is gone (the StatefulSet recreates it), terminating, or new and not yet answering, with no
 * restart or exit recorded. A pod that exited, restarts or cannot be scheduled is a failure.
 */
function beingReplaced(o: Observation, v: SlotMember): boolean {
  if (v.member.name === "" || !v.status || v.status.ok) return false;
  const pod = o.pods.find((p) => p.ordinal === v.slot.ordinal);
  if (!pod || pod.phase === "terminating") return true;
  return pod.restarts === 0 && pod.lastTermination === undefined;
}

/** A learner at the next slot is ours: finish its join, or remove it if it is no longer wanted. */
function planLearner(o: Observation, view: ClusterView, goal: Goal): Decision | undefined {
  const learner: SlotMember | undefined = view.learners[0];
  if (!learner) return undefined;
  const { slot } = learner;
  if (goal.size <= view.voters.length)
    return step({ kind: "remove-member", slot, memberId: learner.member.id, learner: true });
  const config: JoinConfig = {
    state: "existing",
    initialCluster: initialCluster(view.members.map((m) => m.slot)),
  };
  const started = learner.member.name !== "";
  if (!started && o.replicas <= slot.ordinal && !sameJoin(o.joinConfig, config))
    return step({ kind: "write-join-config", slot, config, purpose: "join" });
  if (o.replicas <= slot.ordinal)
    return step({ kind: "scale", slot, replicas: slot.ordinal + 1, from: o.replicas });
  if (!isCaughtUp(learner, view.leader)) return step({ kind: "wait", slot, until: "caught-up" });
  return step({ kind: "promote", slot, memberId: learner.member.id });
}

/** Volumes of removed members, once their pods are gone: deleted now, or kept under Retain. */
function cleanUpVolumes(
  o: Observation,
  view: ClusterView,
  goal: Goal,
  slotOf: SlotOf,
): Decision | undefined {
  if (goal.volumePolicy !== "Delete") return undefined;
  const leftover = o.volumes.filter((k) => k >= view.members.length).sort((a, b) => b - a);
  if (leftover.length === 0) return undefined;
  return step({ kind: "delete-volume", slot: slotOf(leftover[0]), reason: "removed" });
}

/** After bootstrap the join configuration must no longer say "new" (invariant 3). */
function settleJoinConfig(o: Observation, view: ClusterView): Decision | undefined {
  if (o.joinConfig?.state !== "new") return undefined;
  const config: JoinConfig = {
    state: "existing",
    initialCluster: initialCluster(view.members.map((m) => m.slot)),
  };
  return step({ kind: "write-join-config", slot: view.members[0].slot, config, purpose: "settle" });
}

/** One member added (stale volume first) or removed (leadership moved away first). */
function planSize(
  o: Observation,
  view: ClusterView,
  goal: Goal,
  slotOf: SlotOf,
): Decision | undefined {
  const voters = view.voters.length;
  if (goal.size > voters) {
    const slot = slotOf(voters);
    if (o.volumes.includes(voters)) return step({ kind: "delete-volume", slot, reason: "stale" });
    return step({ kind: "add-learner", slot });
  }
  if (goal.size < voters) {
    const last = view.voters[voters - 1];
    if (view.leader === last) {
      const target = successor(view.voters.slice(0, -1));
      return step({
        kind: "move-leader",
        slot: last.slot,
        target: target.slot,
        targetId: target.member.id,
      });
    }
    return step({
      kind: "remove-member",
      slot: last.slot,
      memberId: last.member.id,
      learner: false,
    });
  }
  return undefined;
}

/** The remaining voter with the most applied entries (ties: the lowest ordinal) takes over. */
function successor(candidates: SlotMember[]): SlotMember {
  const applied = (m: SlotMember) => answer(m)?.raftAppliedIndex ?? 0;
  return candidates.reduce((best, m) => (applied(m) > applied(best) ? m : best));
}
