/**
 * `npm run demo`: the real program scaled 1 → 3 → 1 → 3 on a local stand-in for a Kubernetes
 * cluster, with a live table of members, pods and volumes and the time each step took. Starts the
 * control plane and the process kubelet, and stops everything it started: at the end, on failure
 * and on Ctrl-C.
 */
import * as k8s from "@kubernetes/client-node";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ClusterIdentity } from "../../components/naming";
import { type ClusterState, readClusterState } from "./clusterState";
import { LiveView } from "./demo/liveView";
import { formatTable, renderState } from "./demo/table";
import { type LocalKubernetes, startLocalKubernetes } from "./localKubernetes";
import { Stack, e2eStackSettings } from "./program/stack";
import { DataMarkers, waitSettled } from "./settled";

/** Any free loopback range would do; this one is apart from the e2e scenarios' pod ranges. */
const HOST = "127.3.0.1";
const POD_IPS = { first: "127.3.3.1", last: "127.3.3.254" };
const SIZES = [1, 3, 1, 3];
const CLUSTER: ClusterIdentity = {
  name: "etcd",
  namespace: "etcd-demo",
  clusterDomain: "cluster.local",
};

const HEADER = `
etcd-k8s demo
=============
This runs the real program (index.ts: the EtcdCluster component and its membership provider)
four times, as \`pulumi up\` would, with the stack's size set to ${SIZES.join(" → ")}.

It runs on a local stand-in for a Kubernetes cluster, started now and stopped at the end:
  - a real kube-apiserver and kube-controller-manager with their own etcd, on ${HOST};
  - a small "process kubelet" that runs each pod's etcd as a local process on its own
    loopback address (no containers), with a directory per volume.
Nothing outside this machine is touched. The Pulumi CLI is not needed: test/e2e/program/ stands
in for it (it applies the Kubernetes objects and drives the membership provider process).
Ctrl-C stops everything.
`;

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Program output as the demo shows it: the provider's steps, the objects applied. */
function programLine(line: string): string {
  const step = /\[etcd membership\] (.*)$/.exec(line);
  if (step) return `    ${step[1]}`;
  const resource = /^(\w+) urn:pulumi:.*?::.*?::(.*)::(.*)$/.exec(line);
  if (resource) return `    ${resource[1]} ${resource[3]} (${resource[2]})`;
  return `    ${line.trim()}`;
}

interface StepTime {
  step: string;
  upMs: number;
  settleMs: number;
}

async function runDemo(view: LiveView, started: (k: LocalKubernetes) => void): Promise<void> {
  view.log(HEADER);
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
  try {
    const stack = new Stack({
      stack: "demo",
      kubeconfigPath: controlPlane.kubeconfigPath,
      stateDir,
      base: { ...e2eStackSettings(), namespace: CLUSTER.namespace },
      onLine: (line) => view.log(programLine(line)),
    });
    const data = new DataMarkers("demo/");
    const times: StepTime[] = [];
    let from = 0;
    for (const [index, size] of SIZES.entries()) {
      const step = from === 0 ? `create with size ${size}` : `size ${from} → ${size}`;
      view.log(`\n▶ Step ${index + 1} of ${SIZES.length}: ${step} (pulumi up)`);
      const stepStart = Date.now();
      const refresher = refreshTable(view, config, step, stepStart);
      let state: ClusterState;
      let upMs: number;
      try {
        upMs = (await stack.up({ size })).ms;
        view.log(`  up finished in ${seconds(upMs)}; waiting until every pod is Ready…`);
        state = await waitSettled(config, CLUSTER, size);
      } finally {
        refresher.stop();
      }
      await data.write(state.pods, step);
      await data.verify(state.pods);
      const settleMs = Date.now() - stepStart - upMs;
      times.push({ step, upMs, settleMs });
      view.final([
        ...renderState(state),
        `Data: ${data.count} key(s), one written after each step, all readable on every member.`,
        `Step ${index + 1} took ${seconds(upMs + settleMs)} (up ${seconds(upMs)}, then ${seconds(settleMs)} until every pod was Ready).`,
      ]);
      from = size;
    }
    view.log("\nTime per step:");
    for (const line of formatTable(
      ["STEP", "PULUMI UP", "PODS READY AFTER", "TOTAL"],
      times.map((t) => [
        t.step,
        seconds(t.upMs),
        seconds(t.settleMs),
        seconds(t.upMs + t.settleMs),
      ]),
    ))
      view.log(line);
    view.log(`The whole demo took ${seconds(Date.now() - begin)}.`);
  } finally {
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
