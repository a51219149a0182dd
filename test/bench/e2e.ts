/**
 * `npm run bench -- e2e`: scale steps through the real Pulumi CLI on the local control plane and
 * process kubelet, each broken down phase by phase (the preview `up` runs first, the program, each
 * apply, each provider step, each pod's stages up to Ready), then a summary against the CLI's own
 * fixed cost (an `up` with nothing to change) and the targets. Prints figures only.
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

const HOST = "127.33.0.1";
const POD_IPS = { first: "127.33.1.1", last: "127.33.1.254" };
const CLUSTER: ClusterIdentity = {
  name: "etcd",
  namespace: "etcd-bench",
  clusterDomain: "cluster.local",
};
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

function printSummary(
  results: Array<{ step: string; summary: StepSummary }>,
  emptyProgramMs: number,
): void {
  const baseline = median(results.filter((r) => r.step === NO_CHANGE).map((r) => r.summary.upMs));
  console.log(
    `\nSummary (machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}; baseline: median ` +
      `no-change up ${s(baseline)}, of which the CLI alone, an up of a program with no resources, ` +
      `${s(emptyProgramMs)} and the program ${s(baseline - emptyProgramMs)})`,
  );
  const rows = results.map(({ step, summary: m }) => {
    const beyond = m.totalMs - baseline;
    const target = TARGETS[step];
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
  ];
  console.log(formatTable(header, rows, "  ").join("\n"));
}

export async function e2eBench(): Promise<void> {
  console.log(`Pulumi CLI: ${pulumiToolchain().binary}`);
  const kubernetes = await startLocalKubernetes({
    host: HOST,
    podIPRange: POD_IPS,
    nodeName: "bench-kubelet",
  });
  const config = new k8s.KubeConfig();
  config.loadFromString(kubernetes.controlPlane.kubeconfig);
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "etcd-k8s-bench-stack-"));
  const pods = new PodMilestones(config, CLUSTER.namespace, `${CLUSTER.name}-`);
  try {
    await pods.start();
    const recorder = new StepRecorder(pods);
    const stack = new PulumiStack({
      stack: "bench",
      kubeconfigPath: kubernetes.controlPlane.kubeconfigPath,
      workDir: stateDir,
      base: { ...e2eStackSettings(), namespace: CLUSTER.namespace },
      onLine: recorder.onLine,
    });
    const results: Array<{ step: string; summary: StepSummary }> = [];
    let from = 0;
    for (const size of PLAN) {
      const to = size ?? from;
      const step =
        size === undefined ? NO_CHANGE : from === 0 ? `create with size ${to}` : `${from} → ${to}`;
      recorder.begin();
      await stack.up(size === undefined ? {} : { size });
      recorder.exited();
      await waitSettled(config, CLUSTER, to);
      const times = recorder.times(Array.from({ length: to }, (_, k) => podName(CLUSTER, k)));
      printTimeline(step, timeline(times));
      results.push({ step, summary: summarize(times) });
      from = to;
    }
    const emptyProgramMs = await cliAlone(
      kubernetes.controlPlane.kubeconfigPath,
      path.join(stateDir, "empty"),
    );
    printSummary(results, emptyProgramMs);
  } finally {
    pods.stop();
    await kubernetes.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}
