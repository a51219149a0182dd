/** Unwrapping plan decisions in tests, with a readable failure when the kind is not the expected one. */
import * as assert from "node:assert/strict";
import type { Goal, Observation } from "../../providers/membership/observation";
import { plan } from "../../providers/membership/plan";
import { type Decision, type Step, describeStep } from "../../providers/membership/steps";
import { goal, slotOf } from "./observations";

export function stepOf(d: Decision): Step {
  assert.equal(d.kind, "step", `expected a step, got ${JSON.stringify(d)}`);
  return (d as { step: Step }).step;
}

export function refusalOf(d: Decision, waitable = false): string {
  assert.equal(d.kind, "refuse", `expected a refusal, got ${JSON.stringify(d)}`);
  assert.equal(
    (d as { waitable?: boolean }).waitable === true,
    waitable,
    waitable ? "a refusal worth waiting on" : "a final refusal",
  );
  return (d as { reason: string }).reason;
}

export const planFor = (o: Observation, size: number, extra: Partial<Goal> = {}): Decision =>
  plan(o, goal(size, extra), slotOf);

export const describeNext = (o: Observation, size: number, extra: Partial<Goal> = {}) =>
  describeStep(stepOf(planFor(o, size, extra)));
