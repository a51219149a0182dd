/**
 * A create of size 3 whose `pulumi up` is killed at every step boundary (issue 9, part 5,
 * scenarios 1 and 8; issue 10, part 4), through the Pulumi CLI on a real control plane with the
 * process kubelet.
 *
 * Each cycle: the CLI is SIGKILLed right when the provider prints its first step line (the
 * provider's own output, followed through a log file of the test's; see
 * support/providerOutputLog.ts), so cycle N kills the create at its N-th step boundary. The
 * provider, orphaned, must finish the step in progress, print no further step, release the change
 * lease and exit by itself. The CLI's own plugins (language host, Kubernetes plugin) stay behind
 * idle, as Pulumi leaves them; the test stops them. The next `pulumi up` must refuse with the
 * stack's lock and name `pulumi cancel`; after `pulumi cancel` the create is retried while no
 * member answers (every etcd process paused): it must refuse, or wait without changing anything
 * (then it is killed too); replicas, pods, claims and the cluster record are compared before and
 * after. Then the members are resumed and the next cycle retries (warning of the pending create,
 * which it finishes from the record). The cycles end when a retry completes without having
 * printed a step: the cluster is at 3.
 *
 * One boundary has no retry while paused: right after the record names a new learner whose pod is
 * not started yet. A retry then starts that pod even while no member answers (README, "Unobserved
 * means untouched": it only starts the stopped pods of recorded members), so the next cycle's kill
 * lands on that scale step instead.
 *
 * All along, a client writes without pause through every member (support/clusterWriter.ts) and a
 * monitor checks during every run that no voter is without its pod (support/voterMonitor.ts).
 * Control plane on 127.21.0.1, pods on 127.21.1.x.
 */
import * as assert from "node:assert/strict";
import { after, before, test } from "node:test";
import * as k8s from "@kubernetes/client-node";
import type { KilledRun } from "../pulumi/run";
import { StackRunError, firstError } from "../pulumi/stack";
import { type ObjectsSnapshot, leaseHolder, snapshotObjects } from "../support/clusterObjects";
import { waitAllGone } from "../support/orphans";
import { commandLine, processRuns, signalProcess } from "../support/pids";
import { until } from "../support/poll";
import {
  type ProviderLine,
  followProviderLog,
  readProviderLog,
} from "../support/providerOutputLog";
import { seconds, stamp } from "../support/times";
import { type Watch, watched } from "../support/watchedRun";
import { Scenario } from "./harness";

const UNOBSERVED_WAIT_SECONDS = 3;
/** An orphaned provider finishes the step in progress first: an add may be retried for ~10 s. */
const ORPHAN_EXIT_MS = 60_000;
/** How long an orphan whose step was the create's last is given before it counts as lingering. */
const LAST_STEP_ORPHAN_MS = 10_000;
/** More cycles than a create of 3 has boundaries means the create is not progressing. */
const MAX_CYCLES = 40;

const STEP_LINE =
  /^\[etcd membership\] (\S+): (.*) \((?:step (\d+)\/(\d+) of [^)]*|waiting, [^)]*)\)$/;
const ENGINE_GONE_LINE =
  /the Pulumi engine that started this provider .* has exited; provider pid \d+ stops before its next step.*; exiting$/;

type Kind = "record" | "scale" | "add-learner" | "promote" | "label" | "wait" | "other";

function kindOf(action: string): Kind {
  if (/^record |^write the missing cluster record/.test(action)) return "record";
  if (action.startsWith("scale to ")) return "scale";
  if (action === "add as learner") return "add-learner";
  if (action.includes("promote to voter")) return "promote";
  if (/voter label|label the pod/.test(action)) return "label";
  if (action.startsWith("wait until")) return "wait";
  return "other";
}

let scenario: Scenario;
let watch: Watch | undefined;
/** Every provider process a killed run left behind: none may outlive this file. */
const orphans = new Set<number>();
/** Orphans still running after their engine was killed at the create's last step (see below). */
const lingering: string[] = [];
let paused: string[] = [];

before(async () => {
  scenario = await Scenario.start({
    name: "killed-create",
    host: "127.21.0.1",
    podNetwork: "127.21.1",
    localSnapshots: true,
    logProviderOutput: true,
    env: { ETCD_K8S_UNOBSERVED_WAIT_SECONDS: String(UNOBSERVED_WAIT_SECONDS) },
  });
});

after(async () => {
  for (const pid of orphans) stopOrphan(pid);
  await scenario?.stop();
});

const shortStep = (line: ProviderLine) => line.text.replace("[etcd membership] ", "");

/** What `pids` printed from 2 s before `fromMs` on, for messages. */
function linesOf(pids: number[], fromMs: number): string {
  return readProviderLog(scenario.providerLog)
    .filter((l) => pids.includes(l.pid) && l.atMs >= fromMs - 2_000)
    .map((l) => `  ${stamp(l.atMs)} pid ${l.pid} ${l.stream}: ${l.text}`)
    .join("\n");
}

/** Kills an orphaned provider of ours that still runs (checked by its command line: pids recycle). */
function stopOrphan(pid: number): void {
  orphans.delete(pid);
  if (processRuns(pid) && commandLine(pid).includes("dynamic-provider"))
    signalProcess(pid, "SIGKILL");
}

/** Pulumi's own plugins, which a killed CLI leaves running idle, for ever. */
const PULUMI_PLUGINS = /pulumi-language-nodejs|pulumi-resource-kubernetes/;

/**
 * The processes a killed CLI left: Pulumi's own plugins are stopped at once; the rest (the
 * program, the dynamic provider and the shell that launched it) must exit by themselves, and are
 * returned with the provider itself.
 */
function sortOrphans(killed: KilledRun): { mustExit: number[]; provider: number[] } {
  const commands = killed.orphans.map((pid, i) => ({ pid, command: killed.commands[i] }));
  // Checked again before the signal: a pid may have been reused since.
  for (const { pid, command } of commands)
    if (PULUMI_PLUGINS.test(command) && commandLine(pid) === command) signalProcess(pid, "SIGKILL");
  const mustExit = commands.filter((c) => !PULUMI_PLUGINS.test(c.command)).map((c) => c.pid);
  const provider = commands.filter((c) => c.command.includes("dynamic-provider")).map((c) => c.pid);
  for (const pid of mustExit) orphans.add(pid);
  return { mustExit, provider };
}

/** How long the orphans of a killed run took to exit; fails with what they printed after the kill. */
async function orphansGone(
  killed: KilledRun,
  pids: number[],
  timeoutMs = ORPHAN_EXIT_MS,
): Promise<number> {
  try {
    const ms = await waitAllGone(pids, timeoutMs);
    for (const pid of pids) orphans.delete(pid);
    return ms;
  } catch (error) {
    const holder = await leaseHolder(scenario.kubeConfig, scenario.cluster).catch(String);
    throw new Error(
      `${(error as Error).message}; killed at ${stamp(killed.atMs)}; lease holder now ` +
        `${JSON.stringify(holder)}; what they printed:\n${linesOf(pids, killed.atMs)}`,
      { cause: error },
    );
  }
}

/**
 * What a user meets after a killed `pulumi up`, and the recovery the README gives: the next
 * command refuses with the stack's lock and names `pulumi cancel`, which releases it; then
 * `pulumi refresh --clear-pending-creates` drops the create the killed run left pending (else
 * every later run warns of it, even once the resource exists).
 */
async function recoverFromKill(): Promise<void> {
  // `preview` takes no lock; `up` is refused before it changes anything.
  const locked = await scenario.stack.pulumi(["up", "--yes", "--non-interactive"], {
    allowFailure: true,
  });
  const lockText = locked.log.join("\n");
  assert.match(lockText, /the stack is currently locked by 1 lock\(s\)/, lockText);
  assert.match(lockText, /delete the lock file with `pulumi cancel`/, lockText);
  const cancel = await scenario.stack.cancel();
  assert.match(cancel.log.join("\n"), /has been canceled/);
  await scenario.stack.pulumi(["refresh", "--yes", "--clear-pending-creates", "--non-interactive"]);
}

interface KilledCycle {
  line: ProviderLine;
  kind: Kind;
  orphanExitMs: number;
}

/**
 * One `up` killed at its provider's first step line. Returns undefined when the run completed
 * without printing a step (nothing was left to do).
 */
async function killAtFirstStep(label: string): Promise<KilledCycle | undefined> {
  let first: ProviderLine | undefined;
  let kill: (() => void) | undefined;
  const stop = followProviderLog(scenario.providerLog, (line) => {
    if (!first && STEP_LINE.test(line.text)) {
      first = line;
      kill?.();
    }
  });
  const lastStep = () => {
    const m = STEP_LINE.exec(first?.text ?? "");
    return m !== null && m[3] !== undefined && m[3] === m[4];
  };
  try {
    const { run, exitMs, left } = await watched(watch!, label, async () => {
      const run = await scenario.up(label, { size: 3 }, { armed: (k) => (kill = k) });
      if (!run.killed) return { run, exitMs: 0 };
      const left = sortOrphans(run.killed);
      if (!lastStep()) return { run, exitMs: await orphansGone(run.killed, left.mustExit), left };
      // The create's last step: see the test "an orphan whose step was the create's last exits".
      const exitMs = await orphansGone(run.killed, left.mustExit, LAST_STEP_ORPHAN_MS).catch(
        (error: Error) => {
          lingering.push(`"${shortStep(first!)}": ${error.message}`);
          return undefined;
        },
      );
      return { run, exitMs, left };
    });
    if (!run.killed || !left) {
      assert.ok(!first, `a run that printed a step is killed at it: ${first?.text}`);
      return undefined;
    }
    await recoverFromKill();
    assert.ok(first, "killed at a step line");
    assert.equal(left.provider.length, 1, "one dynamic provider is orphaned");
    const [pid] = left.provider;
    assert.equal(first.pid, pid, "the step line came from the orphaned provider");
    // The engine is gone once its exit was seen; a step begun while the kill was landing was
    // begun while the engine still ran.
    const { atMs, exitedAtMs } = run.killed;
    assert.ok(exitedAtMs !== undefined, "the killed run's exit was seen");
    const printed = readProviderLog(scenario.providerLog).filter(
      (l) => l.pid === pid && l.atMs > atMs,
    );
    const landing = printed.filter((l) => l.atMs <= exitedAtMs && STEP_LINE.test(l.text));
    assert.deepEqual(
      printed.filter((l) => l.atMs > exitedAtMs && STEP_LINE.test(l.text)).map((l) => l.text),
      [],
      "no provider step starts after the engine has exited",
    );
    const holder = await leaseHolder(scenario.kubeConfig, scenario.cluster);
    assert.equal(holder, "", "the change lease is free once the step in progress has finished");
    const m = STEP_LINE.exec(first.text)!;
    if (exitMs === undefined) {
      stopOrphan(pid);
      console.log(
        `  killed ${seconds(run.killed.atMs - first.atMs)} after "${first.text}"; ` +
          `orphan ${pid} still runs ${seconds(LAST_STEP_ORPHAN_MS)} later, having printed nothing more: stopped by the test`,
      );
      return { line: first, kind: kindOf(m[2]), orphanExitMs: Number.NaN };
    }
    const last = printed[printed.length - 1]?.text ?? "";
    assert.match(last, ENGINE_GONE_LINE, "the orphan stopped because its engine was gone");
    console.log(
      `  killed ${seconds(atMs - first.atMs)} after "${first.text}" (at ${stamp(first.atMs)}), ` +
        `engine exit seen ${exitedAtMs - atMs} ms later` +
        (landing.length > 0
          ? ` (meanwhile the provider, its engine still there, began: ${landing.map((l) => `"${l.text}" at ${stamp(l.atMs)}`).join(", ")})`
          : "") +
        `; orphan ${pid} exited ${seconds(exitMs)} later, lease free: "${last}"`,
    );
    return { line: first, kind: kindOf(m[2]), orphanExitMs: exitMs };
  } finally {
    stop();
  }
}

/** Pods that run an etcd process, once every pod had a few seconds to start one. */
async function podsRunningEtcd(): Promise<string[]> {
  const { namespace } = scenario.cluster;
  const core = scenario.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const names = async () =>
    (await core.listNamespacedPod({ namespace })).items
      .filter((p) => !p.metadata?.deletionTimestamp)
      .map((p) => p.metadata!.name!)
      .sort();
  const running = (pods: string[]) =>
    pods.filter((p) => scenario.kubernetes.kubelet.containerPids(namespace, p).etcd);
  try {
    return await until(
      "every pod to run etcd",
      async () => {
        const pods = await names();
        return running(pods).length === pods.length ? pods : undefined;
      },
      { timeoutMs: 10_000, maxIntervalMs: 250 },
    );
  } catch {
    return running(await names());
  }
}

/** The ordinals the record names (members and the learner joining). */
function recordedOrdinals(snapshot: ObjectsSnapshot): number[] {
  return (snapshot.record?.annotations["etcd-k8s.io/members"] ?? "")
    .split(",")
    .filter(Boolean)
    .map((m) => Number(/^[a-z0-9-]+-(\d+)=/.exec(m)![1]));
}

/**
 * The create retried while every etcd process is paused: refused after the unobserved wait, or a
 * wait (the founding member not answering) that is killed once it has waited as long. Nothing may
 * change.
 */
async function retryWhilePaused(label: string, holdBack?: string): Promise<string> {
  const { namespace } = scenario.cluster;
  const pods = await podsRunningEtcd();
  if (pods.length === 0) return "no etcd process runs yet: nothing to pause, no retry";
  const before = await snapshotObjects(scenario.kubeConfig, scenario.cluster);
  const extent = Math.max(0, ...recordedOrdinals(before).map((k) => k + 1));
  if ((before.replicas ?? 0) < extent)
    return `no retry while paused: the record names ordinal ${extent - 1}, whose pod is not started yet`;
  for (const pod of pods) scenario.kubernetes.kubelet.pause(namespace, pod);
  paused = pods;
  let waitLine: ProviderLine | undefined;
  const stepLines: string[] = [];
  let kill: (() => void) | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = followProviderLog(scenario.providerLog, (line) => {
    if (!STEP_LINE.test(line.text)) return;
    stepLines.push(line.text);
    if (!waitLine && kindOf(STEP_LINE.exec(line.text)![2]) === "wait") {
      waitLine = line;
      timer = setTimeout(() => kill?.(), (UNOBSERVED_WAIT_SECONDS + 2) * 1000);
    }
  });
  let outcome: string;
  try {
    outcome = await watched(watch!, label, async () => {
      try {
        const run = await scenario.up(label, { size: 3 }, { armed: (k) => (kill = k) });
        if (!run.killed) assert.fail(`a retry while ${pods.join(", ")} are paused completed`);
        const exitMs = await orphansGone(run.killed, sortOrphans(run.killed).mustExit);
        await recoverFromKill();
        return (
          `waited ("${shortStep(waitLine!)}"), killed after ${seconds(run.killed.atMs - waitLine!.atMs)}, ` +
          `orphan exited ${seconds(exitMs)} later`
        );
      } catch (error) {
        if (!(error instanceof StackRunError)) throw error;
        const refusal = firstError(error.log) ?? error.message;
        assert.match(refusal, /refused: no etcd member answers/);
        assert.match(refusal, /nothing was changed/);
        return "refused: no etcd member answers … nothing was changed";
      }
    });
  } finally {
    stop();
    clearTimeout(timer);
  }
  const after = await snapshotObjects(scenario.kubeConfig, scenario.cluster);
  assert.deepEqual(after, before, "a retry while no member answers changes nothing");
  assert.deepEqual(
    stepLines.filter((l) => kindOf(STEP_LINE.exec(l)![2]) !== "wait"),
    [],
    "while no member answers, a run only waits",
  );
  for (const pod of paused.filter((p) => p !== holdBack))
    scenario.kubernetes.kubelet.resume(namespace, pod);
  paused = paused.filter((p) => p === holdBack);
  const held = paused.length > 0 ? `; ${holdBack} stays paused for the next cycle` : "";
  return `${pods.join(", ")} paused: ${outcome}${held}`;
}

test("a create of 3 killed at every step boundary, retried while no member answers, then resumed", async () => {
  const writer = scenario.startWriter("writer/");
  watch = scenario.watch(writer);
  const started = Date.now();
  const kinds = new Map<Kind, number>();
  let cycle = 0;
  for (; cycle < MAX_CYCLES; cycle++) {
    const cycleStarted = Date.now();
    const killed = await killAtFirstStep(`cycle ${cycle + 1}: create, killed at its first step`);
    for (const pod of paused) scenario.kubernetes.kubelet.resume(scenario.cluster.namespace, pod);
    paused = [];
    if (!killed) break;
    kinds.set(killed.kind, (kinds.get(killed.kind) ?? 0) + 1);
    const killedMs = Date.now() - cycleStarted;
    // A learner's pod just started: it is kept paused through the next cycle's kill, as a learner
    // slow to catch up, so that cycle's run begins by waiting for it (a wait boundary).
    const learner =
      killed.kind === "scale" ? /^(\S+):/.exec(shortStep(killed.line))?.[1] : undefined;
    const retried = await retryWhilePaused(
      `cycle ${cycle + 1}: retry while no member answers`,
      learner,
    );
    console.log(
      `[timing] killed-create: cycle ${cycle + 1}: killed at ${killed.kind} boundary ` +
        `"${shortStep(killed.line)}" in ${seconds(killedMs)}; ${retried}; ` +
        `cycle ${seconds(Date.now() - cycleStarted)}`,
    );
  }
  assert.ok(cycle < MAX_CYCLES, `the create completed within ${MAX_CYCLES} cycles`);
  const last = await scenario.up("an up after the recovery", { size: 3 });
  assert.ok(
    !last.log.some((l) => l.includes("pending operations")),
    "no pending operation is left to warn of",
  );
  console.log(
    `[timing] killed-create: ${cycle} boundaries in ${seconds(Date.now() - started)}: ` +
      [...kinds].map(([k, n]) => `${k} ${n}`).join(", "),
  );
  for (const kind of ["record", "scale", "add-learner", "promote", "label", "wait"] as const)
    assert.ok(kinds.has(kind), `the create was killed at a ${kind} boundary`);
  await scenario.converged("create killed at every step boundary", 3);
  await scenario.assertWritesKept(writer);
});

/**
 * README, "One change in flight": "A provider whose engine is gone (the CLI was killed) stops
 * before its next step, releases the lease and exits." When the step in progress is the run's
 * last, the provider finishes it and finds nothing more to do; its process watchdog then ends it
 * (no run in progress, engine gone), so no orphan lingers.
 */
test("an orphan whose step was the create's last exits by itself too", () => {
  assert.deepEqual(lingering, [], "orphaned providers that did not exit");
});
