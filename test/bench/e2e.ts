/**
 * `npm run bench -- e2e`: scale steps through the real Pulumi CLI on the local control plane and
 * process kubelet, each broken down phase by phase (the preview `up` runs first, the program, each
 * apply, each provider step, each pod's stages up to Ready), then a summary against the CLI's own
 * fixed cost (an `up` with nothing to change) and the targets. `BENCH_ROUNDS` rounds
 * (default 3), each on its own stack and namespace; the timelines are the first round's, the
 * summary each phase's median: one `up` varies by half a second on a shared machine. Prints figures
 * only.
 */
import * as k8s from "@kubernetes/client-node";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type ClusterIdentity, podName } from "../../model/naming";
import { startLocalKubernetes } from "../e2e/localKubernetes";
import { PulumiStack, e2eStackSettings } from "../e2e/pulumi/stack";
import { pulumiToolchain } from "../e2e/pulumi/toolchain";
import { waitSettled } from "../e2e/settled";
import { type StepSummary, summarize, timeline } from "../e2e/timing/breakdown";
import { PodMilestones } from "../e2e/timing/podMilestones";
import { StepRecorder } from "../e2e/timing/stepRecorder";
import { repoRoot } from "../e2e/support/repo";
import { median } from "../support/median";
import { formatTable } from "../support/table";
import { countSetting } from "./settings";

const HOST = "127.33.0.1";
const POD_IPS = { first: "127.33.1.1", last: "127.33.1.254" };
const clusterOfRound = (round: number): ClusterIdentity => ({
  name: "etcd",
  namespace: `etcd-bench-${round}`,
  clusterDomain: "cluster.local",
});
const NO_CHANGE = "no change";
/** The steps, by size; `undefined` is an `up` with nothing to change. */
const PLAN: Array<number | undefined> = [1, undefined, 3, 5, 3, 1, undefined, undefined];
/** The targets beyond the no-change baseline, to every pod Ready, ms. */
const TARGETS: Record<string, number> = {
  "create with size 1": 3_000,
  "1 → 3": 7_000,
  "3 → 5": 7_000,
  "3 → 1": 2_000,
};

/**
 * `pulumi up` of a program with no resources, twice (the first creates the stack): what the CLI and
 * the Node.js language host cost by themselves, ms.
 */
async function cliAlone(kubeconfigPath: string, workDir: string): Promise<number> {
  const stack = new PulumiStack({
    stack: "bench-empty",
    kubeconfigPath,
    workDir,
    base: {},
    projectDir: path.join(repoRoot(), "test/e2e/fixtures/empty-program"),
  });
  await stack.up();
  return (await stack.up()).ms;
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

function printTimeline(step: string, rows: ReturnType<typeof timeline>): void {
  console.log(`\n${step}`);
  const table = formatTable(
    ["FROM", "TOOK", "PHASE"],
    rows.map((r) => [
      `+${s(r.fromMs)}`,
      r.ms === undefined ? "·" : s(r.ms),
      `${"  ".repeat(r.depth)}${r.what}`,
    ]),
    "  ",
  );
  console.log(table.join("\n"));
}

type StepResult = { step: string; summary: StepSummary };

/** Each phase's median over one step's rounds, phase by phase (not one round's phases). */
function medianSummary(summaries: StepSummary[]): StepSummary {
  const keys = Object.keys(summaries[0]) as Array<keyof StepSummary>;
  return Object.fromEntries(
    keys.map((key) => [key, median(summaries.map((m) => m[key]))]),
  ) as unknown as StepSummary;
}

function printSummary(rounds: StepResult[][], emptyProgramMs: number): void {
  const all = rounds.flat();
  const baseline = median(all.filter((r) => r.step === NO_CHANGE).map((r) => r.summary.upMs));
  const steps = [...new Set(all.map((r) => r.step))];
  console.log(
    `\nSummary (machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}; medians of ` +
      `${rounds.length} round(s); baseline: median no-change up ${s(baseline)}, of which the CLI ` +
      `alone, an up of a program with no resources, ${s(emptyProgramMs)} and the program ` +
      `${s(baseline - emptyProgramMs)})`,
  );
  const rows = steps.map((step) => {
    const samples = all.filter((r) => r.step === step).map((r) => r.summary);
    const m = medianSummary(samples);
    const beyond = m.totalMs - baseline;
    const target = TARGETS[step];
    const perRound = samples.map((one) => s(one.totalMs - baseline)).join(", ");
    return [
      step,
      s(m.totalMs),
      s(m.upMs),
      s(m.previewMs),
      s(m.programMs),
      s(m.appliesMs),
      s(m.providerMs),
      s(m.providerWaitMs),
      s(m.finishMs),
      s(m.readyAfterMs),
      step === NO_CHANGE ? "-" : s(beyond),
      target === undefined ? "-" : `${s(target)} (${(beyond / target).toFixed(2)}×)`,
      step === NO_CHANGE ? "-" : perRound,
    ];
  });
  const header = [
    "STEP",
    "TOTAL",
    "UP",
    "PREVIEW",
    "PROGRAM",
    "APPLIES",
    "PROVIDER",
    "OF WHICH WAITS",
    "CLI FINISH",
    "READY AFTER",
    "BEYOND BASELINE",
    "TARGET",
    "BEYOND, EACH ROUND",
  ];
  console.log(formatTable(header, rows, "  ").join("\n"));
}

/** The plan on a new stack and namespace; timelines printed when `verbose`. */
async function benchRound(
  kubernetes: { kubeconfigPath: string; config: k8s.KubeConfig },
  workDir: string,
  round: number,
  verbose: boolean,
): Promise<StepResult[]> {
  const cluster = clusterOfRound(round);
  const pods = new PodMilestones(kubernetes.config, cluster.namespace, `${cluster.name}-`);
  try {
    await pods.start();
    const recorder = new StepRecorder(pods);
    const stack = new PulumiStack({
      stack: `bench-${round}`,
      kubeconfigPath: kubernetes.kubeconfigPath,
      workDir,
      base: { ...e2eStackSettings(), namespace: cluster.namespace },
      onLine: recorder.onLine,
    });
    const results: StepResult[] = [];
    let from = 0;
    for (const size of PLAN) {
      const to = size ?? from;
      const step =
        size === undefined ? NO_CHANGE : from === 0 ? `create with size ${to}` : `${from} → ${to}`;
      recorder.begin();
      await stack.up(size === undefined ? {} : { size });
      recorder.exited();
      await waitSettled(kubernetes.config, cluster, to);
      const times = recorder.times(Array.from({ length: to }, (_, k) => podName(cluster, k)));
      if (verbose) printTimeline(step, timeline(times));
      results.push({ step, summary: summarize(times) });
      from = to;
    }
    // So that the next round's pods do not share the machine with this one's.
    await stack.pulumi(["destroy", "--yes", "--skip-preview", "--non-interactive"]);
    return results;
  } finally {
    pods.stop();
  }
}

export async function e2eBench(): Promise<void> {
  const rounds = countSetting("BENCH_ROUNDS", 3);
  console.log(`Pulumi CLI: ${pulumiToolchain().binary}`);
  const kubernetes = await startLocalKubernetes({
    host: HOST,
    podIPRange: POD_IPS,
    nodeName: "bench-kubelet",
  });
  const config = new k8s.KubeConfig();
  config.loadFromString(kubernetes.controlPlane.kubeconfig);
  const { kubeconfigPath } = kubernetes.controlPlane;
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "etcd-k8s-bench-stack-"));
  try {
    const results: StepResult[][] = [];
    for (let round = 1; round <= rounds; round++) {
      if (round > 1) console.log(`\nround ${round} of ${rounds}`);
      results.push(await benchRound({ kubeconfigPath, config }, stateDir, round, round === 1));
    }
    const emptyProgramMs = await cliAlone(kubeconfigPath, path.join(stateDir, "empty"));
    printSummary(results, emptyProgramMs);
  } finally {
    await kubernetes.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}
