/**
 * `npm run demo`: the program scaled 1 → 3 → 1 → 3 through the Pulumi CLI (`pulumi preview --diff`,
 * then `pulumi up`, per step) on a local stand-in for a Kubernetes cluster, with a live table of
 * members, pods and volumes and the time each step took; then an `up` with nothing to change, the
 * CLI's own fixed cost. Starts the control plane and the process kubelet, and stops everything it
 * started: at the end, on failure and on Ctrl-C.
 */
import * as k8s from "@kubernetes/client-node";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ClusterIdentity } from "../../model/naming";
import { type ClusterState, readClusterState } from "./clusterState";
import { LiveView } from "./demo/liveView";
import { renderState } from "./demo/table";
import { type LocalKubernetes, startLocalKubernetes } from "./localKubernetes";
import { PROGRESS_MARK, membershipChanges } from "./pulumi/output";
import { PulumiStack, e2eStackSettings } from "./pulumi/stack";
import { pulumiToolchain } from "./pulumi/toolchain";
import { DataMarkers, waitSettled } from "./settled";
import { seconds } from "./support/times";
import { type StepSummary, summarize } from "./timing/breakdown";
import { PodMilestones } from "./timing/podMilestones";
import { StepRecorder } from "./timing/stepRecorder";
import { formatTable } from "../support/table";

/** Any free loopback range would do; this one is apart from the e2e scenarios' pod ranges. */
const HOST = "127.29.0.1";
const POD_IPS = { first: "127.29.1.1", last: "127.29.1.254" };
const SIZES = [1, 3, 1, 3];
const CLUSTER: ClusterIdentity = {
  name: "etcd",
  namespace: "etcd-demo",
  clusterDomain: "cluster.local",
};

const header = (cli: string) => `
etcd-k8s demo
=============
This runs the program (index.ts: the EtcdCluster component and its membership provider) with the
Pulumi CLI (${cli}): for each size in ${SIZES.join(" → ")}, \`pulumi preview --diff\` shows the
planned membership change, then \`pulumi up --yes\` makes it.

It runs on a local stand-in for a Kubernetes cluster, started now and stopped at the end:
  - a real kube-apiserver and kube-controller-manager with their own etcd, on ${HOST};
  - a small "process kubelet" that runs each pod's etcd as a local process on its own
    loopback address (no containers), with a directory per volume.
The stack ("demo") and its state live in a temporary directory, removed at the end. Nothing
outside this machine is touched. Ctrl-C stops everything.
`;

/**
 * What the demo shows of `pulumi up` as it runs: each resource created, updated or deleted and the
 * provider's steps, each once (the CLI repeats the steps in its closing "Diagnostics:" section),
 * then the summary.
 */
function upLines(show: (line: string) => void): (line: string) => void {
  let section = "preview";
  let lastStep = "";
  return (line) => {
    // `up` previews first, then updates: only the update's progress and summary are shown.
    if (/^(Updating|Destroying) \(/.test(line)) section = "progress";
    else if (section !== "preview" && /^(Diagnostics|Outputs|Resources):/.test(line))
      section = line;
    if (line.startsWith("Duration:")) show(`    ${line}`);
    if (section === "Resources:" && /^\s+[+~-]? ?\d+ /.test(line)) show(`    ${line.trim()}`);
    if (section !== "progress") return;
    const at = line.indexOf(PROGRESS_MARK);
    const step = at >= 0 ? line.slice(at + PROGRESS_MARK.length) : "";
    // The CLI repeats a resource's last message on its final status line.
    if (step !== "" && step !== lastStep) show(`    ${step}`);
    if (step !== "") lastStep = step;
    const done = /^\s*[+~-]\s+(\S+) (\S+) (created|updated|deleted) \(/.exec(line);
    if (done) show(`    ${done[3]} ${done[1]} ${done[2]}`);
  };
}

interface StepTime {
  step: string;
  summary: StepSummary;
}

/** The demo's time table: each step's phases (test/e2e/timing/breakdown.ts), and the total. */
function timeTable(times: StepTime[]): string[] {
  return formatTable(
    ["STEP", "PULUMI UP", "OF WHICH PREVIEW", "PROGRAM", "PROVIDER", "PODS READY AFTER", "TOTAL"],
    times.map(({ step, summary: m }) => [
      step,
      seconds(m.upMs),
      seconds(m.previewMs),
      seconds(m.programMs),
      seconds(m.providerMs),
      seconds(m.readyAfterMs),
      seconds(m.totalMs),
    ]),
    "  ",
  );
}

async function runDemo(view: LiveView, started: (k: LocalKubernetes) => void): Promise<void> {
  view.log(header(pulumiToolchain().binary));
  const begin = Date.now();
  view.log(
    "Starting the control plane (etcd, kube-apiserver, kube-controller-manager) and the kubelet…",
  );
  const kubernetes = await startLocalKubernetes({
    host: HOST,
    podIPRange: POD_IPS,
    nodeName: "demo-kubelet",
  });
  started(kubernetes);
  const { controlPlane } = kubernetes;
  view.log(
    `Kubernetes ${controlPlane.version} at ${controlPlane.server}, ready in ${seconds(Date.now() - begin)}` +
      ` (KUBECONFIG=${controlPlane.kubeconfigPath} while the demo runs).`,
  );
  const config = new k8s.KubeConfig();
  config.loadFromString(controlPlane.kubeconfig);
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "etcd-k8s-demo-stack-"));
  const pods = new PodMilestones(config, CLUSTER.namespace, `${CLUSTER.name}-`);
  try {
    await pods.start();
    const recorder = new StepRecorder(pods);
    let onLine: (line: string) => void = () => {};
    const stack = new PulumiStack({
      stack: "demo",
      kubeconfigPath: controlPlane.kubeconfigPath,
      workDir: stateDir,
      base: { ...e2eStackSettings(), namespace: CLUSTER.namespace },
      onLine: (line) => {
        recorder.onLine(line);
        onLine(line);
      },
    });
    const data = new DataMarkers("demo/");
    const times: StepTime[] = [];
    let from = 0;
    for (const [index, size] of SIZES.entries()) {
      const step = from === 0 ? `create with size ${size}` : `size ${from} → ${size}`;
      view.log(`\n▶ Step ${index + 1} of ${SIZES.length}: ${step}`);
      view.log(`  pulumi preview --diff (size ${size}) plans:`);
      onLine = () => {};
      const preview = await stack.preview({ size });
      for (const line of membershipChanges(preview.log)) view.log(`    ${line}`);
      view.log(`  pulumi up --yes (preview took ${seconds(preview.ms)}):`);
      onLine = upLines((line) => view.log(line));
      const refresher = refreshTable(view, config, step, Date.now());
      let state: ClusterState;
      let summary: StepSummary;
      try {
        recorder.begin();
        const upMs = (await stack.up({ size })).ms;
        recorder.exited();
        view.log(`  up finished in ${seconds(upMs)}; waiting until every pod is Ready…`);
        state = await waitSettled(config, CLUSTER, size);
        summary = summarize(recorder.times(state.pods.map((p) => p.name)));
      } finally {
        refresher.stop();
      }
      await data.write(state.pods, step);
      await data.verify(state.pods);
      times.push({ step, summary });
      view.final([
        ...renderState(state),
        `Data: ${data.count} key(s), one written after each step, all readable on every member.`,
        `Step ${index + 1} took ${seconds(summary.totalMs)} (up ${seconds(summary.upMs)}, then ${seconds(summary.readyAfterMs)} until every pod was Ready).`,
      ]);
      from = size;
    }
    view.log("\n▶ pulumi up --yes with nothing to change: what the CLI costs by itself");
    onLine = upLines((line) => view.log(line));
    recorder.begin();
    await stack.up();
    recorder.exited();
    times.push({ step: "no change", summary: summarize(recorder.times([])) });
    view.log("\nTime per step (PROGRAM: the update's run of the program until its first change):");
    for (const line of timeTable(times)) view.log(line);
    view.log(`The whole demo took ${seconds(Date.now() - begin)}.`);
  } finally {
    pods.stop();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

/** Redraws the table about once a second while a step runs; reads never overlap. */
function refreshTable(
  view: LiveView,
  config: k8s.KubeConfig,
  step: string,
  since: number,
): { stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async () => {
    try {
      const state = await readClusterState(config, CLUSTER);
      if (!stopped)
        view.table([...renderState(state), `${step}: ${seconds(Date.now() - since)} so far…`]);
    } catch {
      // The API server can be briefly busy; the next tick tries again.
    }
    if (!stopped) timer = setTimeout(() => void tick(), 1_000);
  };
  void tick();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

function main(): void {
  const view = new LiveView();
  let kubernetes: LocalKubernetes | undefined;
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      if (!kubernetes) return;
      view.log("\nStopping the kubelet (and every etcd it runs) and the control plane…");
      await kubernetes.stop();
      view.log("Stopped: nothing of the demo is left running.");
    })());
  // `on`, not `once`: the process tracker kills everything at once (SIGKILL) when no other
  // handler is left, and the first Ctrl-C should stop things in order. A second one does that.
  let interrupts = 0;
  const interrupted = () => {
    if (++interrupts > 1) process.exit(130);
    view.log("\nInterrupted (Ctrl-C again to kill everything at once).");
    void stopAll().finally(() => process.exit(130));
  };
  process.on("SIGINT", interrupted);
  process.on("SIGTERM", interrupted);
  runDemo(view, (k) => (kubernetes = k))
    .then(stopAll)
    .catch(async (error: unknown) => {
      view.log(`\nThe demo failed: ${(error as Error).message}`);
      await stopAll();
      process.exitCode = 1;
    });
}

main();
