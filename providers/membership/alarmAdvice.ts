/**
 * The refusal while alarms are raised: which member raised what, and for each kind of alarm what
 * the operator must do before the provider will change membership again. NOSPACE is cleared by
 * freeing space and disarming; CORRUPT must never be disarmed before the diverged member is gone.
 */
import type { MemberSlot } from "../../model/naming";
import type { Alarm } from "./observation";
import { volumeName } from "./steps";

/** A member the alarm may name: its slot when its peer URL matched one. */
export interface AlarmedMember {
  id: string;
  slot?: MemberSlot;
}

const nameOf = (id: string, members: AlarmedMember[]): string =>
  members.find((m) => m.id === id)?.slot?.name ?? `member ${id}`;

function nospaceAdvice(names: string): string {
  return (
    `NOSPACE (${names}): a database reached its space quota (--quota-backend-bytes, 2 GiB by default) and the cluster now takes only reads and deletes. ` +
    "Compare each member's DB SIZE with the quota (etcdctl endpoint status --cluster -w table); delete keys you no longer need; " +
    "compact the history to the current revision (etcdctl compact <revision>); defragment the members one at a time " +
    "(npm run defrag -- --namespace <namespace> --cluster-name <name>); then disarm (etcdctl alarm disarm) and rerun. " +
    "If the data needs the space, raise the quota instead of deleting."
  );
}

function corruptAdvice(ids: string[], members: AlarmedMember[]): string {
  const replace = ids.map((id) => {
    const slot = members.find((m) => m.id === id)?.slot;
    if (!slot) return `member ${id}: etcdctl member remove ${id}`;
    return (
      `${slot.name}: etcdctl member remove ${id}; kubectl -n <namespace> delete pvc/${volumeName(slot)} pod/${slot.name}; ` +
      `etcdctl member add ${slot.name} --learner --peer-urls=${slot.peerURL}; once it has caught up, etcdctl member promote <new id>`
    );
  });
  return (
    `CORRUPT (${ids.map((id) => nameOf(id, members)).join(", ")}): a member's data differs from the others'. ` +
    "Do not disarm yet: that would let diverged data serve reads. Find the corrupt member by comparing hashes at one revision " +
    "(etcdctl endpoint hashkv --cluster; the odd one out is corrupt, the alarm names the member that found it or was found). " +
    `Replace it on an empty volume, e.g. for ${replace.join("; for ")}. ` +
    "Then disarm (etcdctl alarm disarm) and rerun."
  );
}

export function alarmRefusal(alarms: Alarm[], members: AlarmedMember[]): string {
  const raised = alarms.map((a) => `${nameOf(a.memberId, members)} (id ${a.memberId}): ${a.alarm}`);
  const ofKind = (kind: string) => alarms.filter((a) => a.alarm === kind).map((a) => a.memberId);
  const advice: string[] = [];
  const nospace = ofKind("NOSPACE");
  if (nospace.length > 0)
    advice.push(nospaceAdvice(nospace.map((id) => nameOf(id, members)).join(", ")));
  const corrupt = ofKind("CORRUPT");
  if (corrupt.length > 0) advice.push(corruptAdvice(corrupt, members));
  const other = alarms.filter((a) => a.alarm !== "NOSPACE" && a.alarm !== "CORRUPT");
  if (other.length > 0)
    advice.push(
      `${[...new Set(other.map((a) => a.alarm))].join(", ")}: resolve the cause, disarm (etcdctl alarm disarm), then rerun.`,
    );
  return `alarms are raised: ${raised.join(", ")}; nothing was changed. ${advice.join(" ")}`;
}
