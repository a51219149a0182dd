/**
 * Whether a cluster may be defragmented now: every member answers at its own endpoint and all agree
 * on one leader. NOSPACE does not stop it (freeing space is the point); CORRUPT does, because the
 * member to fix is the diverged one, not its database's free pages.
 */
import { alarmRefusal } from "../providers/membership/alarmAdvice";
import type { Observation, SlotOf, StatusAnswer } from "../providers/membership/observation";

/** What is wrong, in words naming the members, or undefined when healthy. */
export function healthProblem(o: Observation, slotOf: SlotOf): string | undefined {
  if (!o.cluster.reachable) return `no etcd member answers (${o.cluster.reason})`;
  const failures = o.statuses.flatMap((s) =>
    s.ok ? [] : [`${slotOf(s.ordinal).name} does not answer: ${s.error}`],
  );
  if (failures.length > 0) return failures.join("; ");
  const answers = o.statuses.filter((s): s is StatusAnswer => s.ok);
  const unseen = o.cluster.members.filter((m) => !answers.some((s) => s.memberId === m.id));
  if (unseen.length > 0)
    return `members answer at no endpoint: ${unseen.map((m) => `${m.name || "(unstarted)"} (id ${m.id})`).join(", ")}`;
  const leaders = new Set(answers.map((s) => s.leader));
  if (leaders.size !== 1 || leaders.has(undefined))
    return `the members agree on no leader (${answers.map((s) => `${slotOf(s.ordinal).name} sees ${s.leader ?? "none"}`).join(", ")})`;
  if (o.alarms.some((a) => a.alarm === "CORRUPT"))
    return alarmRefusal(
      o.alarms,
      answers.map((s) => ({ id: s.memberId, slot: slotOf(s.ordinal) })),
    );
  return undefined;
}
