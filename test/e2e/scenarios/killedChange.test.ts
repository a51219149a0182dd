/**
 * `pulumi up` killed with all its processes (the CLI, the language host, the Kubernetes plugin and
 * the membership provider, as when the machine running it dies) in the middle of a shrink (3 → 2)
 * and a grow (2 → 3), at every step in turn: the run of cycle N is killed as it starts its N-th
 * step, with the provider killed mid-step (killed at its first step each time, a run whose step
 * never got as far as its effect would be killed at the same step for ever). After each kill the recovery the README gives (`pulumi cancel`, `pulumi refresh`) runs, then the next `up`.
 * The change must converge with no acknowledged write lost, and at no moment a voter without its
 * pod beyond the step that removes it. Control plane on 127.30.0.1, pods on 127.30.1.x.
 */
import * as assert from "node:assert/strict";
import { after, before, test } from "node:test";
import type { ClusterWriter } from "../support/clusterWriter";
import { type ProviderLine, followProviderLog } from "../support/providerOutputLog";
import { type Watch, watched } from "../support/watchedRun";
import { Scenario } from "./harness";

/** More cycles than a change of one member has steps means the change is not progressing. */
const MAX_CYCLES = 20;
const STEP_LINE = /^\[etcd membership\] (\S+): (.*) \(step \d+\/\d+ of [^)]*\)$/;

let scenario: Scenario;
let watch: Watch;
let writer: ClusterWriter;

before(async () => {
  scenario = await Scenario.start({
    name: "killed-change",
    host: "127.30.0.1",
    podNetwork: "127.30.1",
    localSnapshots: true,
    logProviderOutput: true,
  });
});

after(() => scenario?.stop());

/** The README's recovery after a killed `pulumi up`: release the lock, then refresh. */
async function recover(): Promise<void> {
  const cancel = await scenario.stack.cancel();
  assert.match(cancel.log.join("\n"), /has been canceled/);
  await scenario.stack.pulumi(["refresh", "--yes", "--clear-pending-creates", "--non-interactive"]);
}

/** Runs `up` to `size`, cycle N killed with all its processes at its N-th step, until one completes. */
async function changeKilledAtEveryStep(from: number, size: number): Promise<string[]> {
  const killedAt: string[] = [];
  for (let cycle = 1; cycle <= MAX_CYCLES; cycle++) {
    const label = `${from} → ${size}, cycle ${cycle}`;
    let steps = 0;
    let killedStep: ProviderLine | undefined;
    let kill: ((scope: "tree") => void) | undefined;
    const stop = followProviderLog(scenario.providerLog, (line) => {
      if (killedStep || !STEP_LINE.test(line.text) || ++steps < cycle) return;
      killedStep = line;
      kill?.("tree");
    });
    try {
      const run = await watched(watch, label, () =>
        scenario.up(label, { size }, { armed: (k) => (kill = k) }),
      );
      if (!run.killed) {
        assert.ok(!killedStep, `a run is killed at the step it was to be: ${killedStep?.text}`);
        return killedAt;
      }
    } finally {
      stop();
    }
    killedAt.push(killedStep!.text.replace("[etcd membership] ", ""));
    await recover();
  }
  assert.fail(
    `${from} → ${size} did not complete within ${MAX_CYCLES} killed runs: ${killedAt.join("; ")}`,
  );
}

test("create with size 3, a writer through every member", async () => {
  await scenario.up("create with size 3", { size: 3 });
  await scenario.converged("create with size 3", 3);
  writer = scenario.startWriter("writer/");
  watch = scenario.watch(writer);
});

for (const [from, size] of [
  [3, 2],
  [2, 3],
] as const)
  test(`${from} → ${size}, killed with every process at each of its steps in turn`, async () => {
    const killedAt = await changeKilledAtEveryStep(from, size);
    console.log(`[timing] killed-change: ${from} → ${size} killed at: ${killedAt.join("; ")}`);
    // A kill lands as its step starts, sometimes after the step's effect: then cycle N uses up N
    // steps, and 3 → 2's five steps are done by the third cycle, after two kills.
    assert.ok(killedAt.length >= 2, "the change was killed at several of its steps");
    await scenario.converged(`${from} → ${size} after the kills`, size);
  });

test("every acknowledged write is on every member", async () => {
  const counts = await scenario.assertWritesKept(writer);
  assert.ok(counts.acknowledged > 0);
});
