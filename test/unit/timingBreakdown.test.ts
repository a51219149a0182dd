/** The scale-step breakdown of the bench and the demo: CLI lines as timed events, phases, summary. */
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { summarize, timeline } from "../e2e/timing/breakdown";
import { cliEvents } from "../e2e/timing/cliEvents";

const MEMBERSHIP = "pulumi-nodejs:dynamic/etcd:Membership etcd-membership";
const STEP = (text: string) =>
  ` ~  ${MEMBERSHIP} updating (1s) [diff: ~members,plan,size]; [etcd membership] ${text}`;

/** A 1 → 2 `up` as the CLI prints it, one line per 100 ms from t = 1000. */
const LINES = [
  "Previewing update (bench):",
  " ~  pulumi-nodejs:dynamic/etcd:Membership etcd-membership update [diff: ~members,plan,size]",
  "Updating (bench):",
  ` ~  ${MEMBERSHIP} updating (0s) [diff: ~members,plan,size]`,
  STEP("etcd-1: add as learner (step 1/3 of 1→2)"),
  STEP("etcd-1: add as learner (step 1/3 of 1→2)"),
  STEP("etcd-1: wait until the learner has started and caught up with the leader (waiting)"),
  STEP("etcd-1: learner caught up, promote to voter (step 2/3 of 1→2)"),
  ` ~  ${MEMBERSHIP} updated (3s) [diff: ~members,plan,size]; [etcd membership] etcd-1: promoted`,
  "Diagnostics:",
  "    [etcd membership] etcd-1: add as learner (step 1/3 of 1→2)",
  "Resources:",
].map((line, k) => ({ at: 1_000 + 100 * k, line }));

describe("scale-step breakdown", () => {
  const events = cliEvents(LINES);

  it("reads the update's start, each resource's start and end, each provider step once", () => {
    assert.deepEqual(
      events.map((e) => [e.kind, e.at]),
      [
        ["update-start", 1_200],
        ["resource", 1_300],
        ["provider-step", 1_400],
        ["provider-step", 1_600],
        ["provider-step", 1_700],
        ["resource", 1_800],
        ["provider-step", 1_800],
        ["update-end", 1_900],
      ],
    );
    assert.equal(events.filter((e) => e.kind === "provider-step").length, 4);
  });

  const times = {
    startedAt: 900,
    exitedAt: 2_500,
    readyAt: 3_000,
    events,
    pods: new Map([["etcd-1", { created: 1_450, running: 1_500, serving: 1_650, ready: 3_000 }]]),
  };

  it("splits the step into the CLI's phases, the provider and its waits, and Ready after", () => {
    assert.deepEqual(summarize(times), {
      totalMs: 2_100,
      upMs: 1_600,
      previewMs: 300,
      programMs: 100,
      providerMs: 500,
      providerWaitMs: 100,
      appliesMs: 0,
      finishMs: 700,
      readyAfterMs: 500,
    });
  });

  it("lists phases and pod stages in the order they began, pod stages under the provider", () => {
    const rows = timeline(times).map((r) => `${r.fromMs} ${r.ms ?? "·"} ${r.depth} ${r.what}`);
    assert.deepEqual(rows, [
      "0 300 0 preview that up runs first (CLI start, program, check, diff)",
      "300 100 0 update: the program again, until its first change",
      `400 500 0 apply ${MEMBERSHIP}`,
      "500 200 1 etcd-1: add as learner (step 1/3 of 1→2)",
      "550 · 2 etcd-1: pod created (StatefulSet controller)",
      "600 · 2 etcd-1: container running",
      "700 100 1 etcd-1: wait until the learner has started and caught up with the leader (waiting)",
      "750 · 2 etcd-1: etcd serving (/livez answers)",
      "800 100 1 etcd-1: learner caught up, promote to voter (step 2/3 of 1→2)",
      "900 0 1 etcd-1: promoted",
      "900 700 0 CLI finish (outputs, state, summary)",
      "1600 500 0 until every pod is Ready",
      "2100 · 2 etcd-1: Ready",
    ]);
  });
});
