/**
 * The preview's words against what the plan does: for every size change and both volume policies,
 * the plan is executed one step at a time on the cluster preview starts from, to the end, and the
 * preview's line is read back against the steps taken and the cluster they leave.
 */
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Observation } from "../../providers/membership/observation";
import { plan } from "../../providers/membership/plan";
import { type PlanSubject, plannedChange } from "../../providers/membership/plannedChange";
import { clusterBefore, previewGoal } from "../../providers/membership/preview";
import { applyExpected } from "../../providers/membership/simulate";
import type { Step } from "../../providers/membership/steps";
import type { VolumePolicy } from "../../model/config/rules";
import { stepOf } from "./decisions";
import { slotOf } from "./observations";

const OLD_SIZES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const NEW_SIZES = [1, 2, 3, 4, 5, 6, 7, 8, 9];
const POLICIES: VolumePolicy[] = ["Delete", "Retain"];

/** Far more than the longest change takes: a plan that never finishes fails instead of hanging. */
const STEP_LIMIT = 200;

const ordinalsBelow = (n: number): number[] => Array.from({ length: n }, (_, k) => k);
const ordinalOf = (name: string): number => Number(name.slice(name.lastIndexOf("-") + 1));
const byOrdinal = (a: string, b: string): number => ordinalOf(a) - ordinalOf(b);

interface Change {
  oldSize: number;
  newSize: number;
  policy: VolumePolicy;
}

interface Execution {
  steps: Step[];
  end: Observation;
}

function execute({ oldSize, newSize, policy }: Change): Execution {
  const goal = previewGoal(newSize, policy);
  const steps: Step[] = [];
  let o = clusterBefore(oldSize, slotOf);
  for (let d = plan(o, goal, slotOf); d.kind !== "done"; d = plan(o, goal, slotOf)) {
    assert.ok(steps.length < STEP_LIMIT, `the plan does not finish: ${JSON.stringify(d)}`);
    const step = stepOf(d);
    steps.push(step);
    o = applyExpected(o, step, slotOf);
  }
  return { steps, end: o };
}

/** What the preview's line says, read back. */
interface Claim {
  founder?: string;
  added: string[];
  removed: string[];
  volumes?: "delete" | "keep";
}

const FOUNDING = /^bootstrap (?<founder>[\w-]+)(?:, then (?<rest>.+))?$/;
const ONE_ADDED = /^add (?<name>[\w-]+) as a learner, then promote it$/;
const SEVERAL_ADDED = /^add (?<names>.+) as learners one at a time, promoting each$/;
const REMOVED =
  /^remove (?<names>.+) \(leader moved first if needed\) and (?<volumes>delete|keep) (?<whose>its volume|their volumes)(?<until> until re-added)?$/;

const nameList = (list: string): string[] => list.split(/, then |, /);

function readPlanLine(line: string): Claim {
  if (line === "no membership change") return { added: [], removed: [] };
  const founding = FOUNDING.exec(line)?.groups;
  const claim: Claim = {
    ...(founding ? { founder: founding.founder } : {}),
    added: [],
    removed: [],
  };
  const rest = founding ? founding.rest : line;
  if (rest === undefined) return claim;
  const one = ONE_ADDED.exec(rest)?.groups;
  if (one) return { ...claim, added: [one.name] };
  const several = SEVERAL_ADDED.exec(rest)?.groups;
  if (several) {
    const added = nameList(several.names);
    assert.ok(added.length > 1, `"as learners" names several members: ${line}`);
    return { ...claim, added };
  }
  const removing = REMOVED.exec(rest)?.groups;
  assert.ok(removing, `a plan line this test cannot read: ${line}`);
  const removed = nameList(removing.names);
  const volumes = removing.volumes === "delete" ? "delete" : "keep";
  assert.equal(removing.whose === "its volume", removed.length === 1, `its/their: ${line}`);
  assert.equal(removing.until !== undefined, volumes === "keep", `kept until re-added: ${line}`);
  return { ...claim, removed, volumes };
}

const subject = (volumePolicy: VolumePolicy): PlanSubject => ({
  clusterName: "etcd",
  namespace: "db",
  clusterDomain: "cluster.local",
  volumePolicy,
});

/** The line names the founder, the learners and the removed members the steps act on, in order. */
function assertLineTellsSteps(claim: Claim, steps: Step[], { oldSize, policy }: Change) {
  const namesOf = (kind: Step["kind"]) =>
    steps.filter((s) => s.kind === kind).map((s) => s.slot.name);
  const founders = steps.filter((s) => s.kind === "write-record" && s.purpose === "found");
  assert.deepEqual(
    founders.map((s) => s.slot.name),
    claim.founder ? [claim.founder] : [],
    "the member founding the cluster",
  );
  assert.equal(claim.founder !== undefined, oldSize === 0, "a cluster is founded on create only");
  const joins = steps.filter((s) => s.kind === "add-learner" || s.kind === "promote");
  assert.deepEqual(
    joins.map((s) => `${s.kind} ${s.slot.name}`),
    claim.added.flatMap((name) => [`add-learner ${name}`, `promote ${name}`]),
    "each member the line adds is added as a learner and promoted before the next, in its order",
  );
  assert.deepEqual(namesOf("remove-member"), claim.removed, "the members removed, in order");
  assert.deepEqual(claim.removed, [...claim.removed].sort(byOrdinal).reverse(), "highest first");
  assert.deepEqual(
    namesOf("delete-volume"),
    policy === "Delete" ? claim.removed : [],
    "the removed members' volumes are deleted exactly under Delete",
  );
  const promised = claim.removed.length === 0 ? undefined : policy === "Delete" ? "delete" : "keep";
  assert.equal(claim.volumes, promised, "the line says what happens to the volumes");
  if (!claim.founder && claim.added.length === 0 && claim.removed.length === 0)
    assert.deepEqual(steps, [], "no membership change: no step at all");
}

/** The members preview lists are the voters the steps leave: a pod each, and the volumes kept. */
function assertEndIsListed(members: string[], end: Observation, change: Change) {
  const { oldSize, newSize, policy } = change;
  assert.deepEqual(
    members,
    ordinalsBelow(newSize).map((k) => slotOf(k).name),
    "the members listed",
  );
  const live = end.cluster.reachable ? end.cluster.members : [];
  assert.ok(
    live.every((m) => !m.isLearner),
    "no learner is left",
  );
  assert.deepEqual(live.map((m) => m.name).sort(byOrdinal), members, "the members left");
  assert.equal(end.replicas, newSize);
  const kept = policy === "Delete" ? newSize : Math.max(oldSize, newSize);
  assert.deepEqual(
    end.volumes.map((v) => v.ordinal).sort((a, b) => a - b),
    ordinalsBelow(kept),
    "the volumes left",
  );
}

describe("preview agrees with the steps the plan executes", () => {
  for (const policy of POLICIES)
    for (const oldSize of OLD_SIZES)
      for (const newSize of NEW_SIZES)
        it(`${oldSize === 0 ? "create" : oldSize} → ${newSize}, ${policy}`, () => {
          const change: Change = { oldSize, newSize, policy };
          const preview = plannedChange(oldSize, newSize, subject(policy));
          const { steps, end } = execute(change);
          assertLineTellsSteps(readPlanLine(preview.plan), steps, change);
          assertEndIsListed(preview.members, end, change);
        });
});
