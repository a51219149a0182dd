/**
 * One scale step, phase by phase: from the `pulumi up` lines as they arrived and the pods' stages,
 * a timeline (what ran from when, for how long; what each pod reached when) and a summary (the CLI's
 * own phases, the provider, the pods). Pure.
 */
import type { CliEvent } from "./cliEvents";
import { MILESTONES, MILESTONE_TEXT, type PodTimes } from "./milestones";

export interface StepTimes {
  /** When `pulumi up` was started, and when it exited. */
  startedAt: number;
  exitedAt: number;
  /** When every pod was Ready (after the exit). */
  readyAt: number;
  events: CliEvent[];
  pods: Map<string, PodTimes>;
}

export interface TimelineRow {
  /** Since `pulumi up` started, ms. */
  fromMs: number;
  /** Absent for a moment (a pod reached a stage) rather than a phase. */
  ms?: number;
  depth: number;
  what: string;
}

export interface StepSummary {
  /** The whole step: `pulumi up`, then until every pod is Ready. */
  totalMs: number;
  upMs: number;
  /** The preview `up` runs first: CLI start, the program, check and diff. */
  previewMs: number;
  /** From the update's start to its first change: the program again, up to its first resource. */
  programMs: number;
  /** The membership resource, from its start to its end. */
  providerMs: number;
  /** Of the provider's time: its waits (the learner started and caught up, a pod gone). */
  providerWaitMs: number;
  /** The other resources' applies, from the first start to the last end. */
  appliesMs: number;
  /** From the last change to the CLI's exit: outputs, state, summary. */
  finishMs: number;
  readyAfterMs: number;
}

const MEMBERSHIP = "pulumi-nodejs:dynamic/etcd:Membership";

interface Span {
  resource: string;
  start: number;
  end: number;
}

function spans(t: StepTimes): Span[] {
  const result: Span[] = [];
  for (const e of t.events) {
    if (e.kind !== "resource") continue;
    if (e.phase === "start") result.push({ resource: e.resource, start: e.at, end: t.exitedAt });
    else {
      const span = result.find((s) => s.resource === e.resource);
      if (span) span.end = e.at;
      else result.push({ resource: e.resource, start: e.at, end: e.at });
    }
  }
  return result;
}

const at = (t: StepTimes, kind: CliEvent["kind"]) => t.events.find((e) => e.kind === kind)?.at;

function providerSteps(t: StepTimes, membership: Span | undefined) {
  const steps = t.events.filter((e) => e.kind === "provider-step");
  return steps.map((step, k) => ({
    text: step.text,
    start: step.at,
    end: steps[k + 1]?.at ?? membership?.end ?? t.exitedAt,
  }));
}

/** The landmarks both views derive from: the update's start, the applies, the first and last change. */
function phases(t: StepTimes) {
  const updateStart = at(t, "update-start") ?? t.startedAt;
  const all = spans(t);
  const membership = all.find((s) => s.resource.startsWith(MEMBERSHIP));
  const firstChange = Math.min(...all.map((s) => s.start), at(t, "update-end") ?? t.exitedAt);
  const lastChange = Math.max(...all.map((s) => s.end), firstChange);
  return { updateStart, all, membership, firstChange, lastChange };
}

export function summarize(t: StepTimes): StepSummary {
  const { updateStart, all, membership, firstChange, lastChange } = phases(t);
  const others = all.filter((s) => s !== membership);
  const waits = providerSteps(t, membership).filter((s) => /: wait until /.test(s.text));
  return {
    totalMs: t.readyAt - t.startedAt,
    upMs: t.exitedAt - t.startedAt,
    previewMs: updateStart - t.startedAt,
    programMs: firstChange - updateStart,
    providerMs: membership ? membership.end - membership.start : 0,
    providerWaitMs: waits.reduce((sum, s) => sum + (s.end - s.start), 0),
    appliesMs:
      others.length > 0
        ? Math.max(...others.map((s) => s.end)) - Math.min(...others.map((s) => s.start))
        : 0,
    finishMs: t.exitedAt - lastChange,
    readyAfterMs: t.readyAt - t.exitedAt,
  };
}

/** Every phase and every pod stage of the step, in the order they began. */
export function timeline(t: StepTimes): TimelineRow[] {
  const from = (ms: number) => ms - t.startedAt;
  const { updateStart, all, membership, firstChange, lastChange } = phases(t);
  const rows: TimelineRow[] = [
    {
      fromMs: 0,
      ms: updateStart - t.startedAt,
      depth: 0,
      what: "preview that up runs first (CLI start, program, check, diff)",
    },
    {
      fromMs: from(updateStart),
      ms: firstChange - updateStart,
      depth: 0,
      what: "update: the program again, until its first change",
    },
    ...all.map((s) => ({
      fromMs: from(s.start),
      ms: s.end - s.start,
      depth: 0,
      what: `apply ${s.resource}`,
    })),
    ...providerSteps(t, membership).map((s) => ({
      fromMs: from(s.start),
      ms: s.end - s.start,
      depth: 1,
      what: s.text,
    })),
    ...[...t.pods].flatMap(([pod, times]) =>
      MILESTONES.filter((m) => times[m] !== undefined).map((m) => ({
        fromMs: from(times[m]!),
        depth: 2,
        what: `${pod}: ${MILESTONE_TEXT[m]}`,
      })),
    ),
    {
      fromMs: from(lastChange),
      ms: t.exitedAt - lastChange,
      depth: 0,
      what: "CLI finish (outputs, state, summary)",
    },
    {
      fromMs: from(t.exitedAt),
      ms: t.readyAt - t.exitedAt,
      depth: 0,
      what: "until every pod is Ready",
    },
  ];
  // Stable: a phase stays before the moments that begin with it.
  return rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => a.row.fromMs - b.row.fromMs || a.index - b.index)
    .map(({ row }) => row);
}
