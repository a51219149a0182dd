/**
 * The faults end-to-end scenarios inject, on a real control plane and this kubelet (127.9.0.1,
 * pods on 127.9.1.x), with three etcd members of the component's pod spec:
 * - a member's volume replaced: its claim deleted while the pod uses it (it stays Terminating),
 *   then the pod deleted; the real StatefulSet, pvc-protection and PV controllers let the old
 *   claim go, create a new one, and the new pod starts on a new, empty directory;
 * - a member paused with SIGSTOP: etcd stops answering while Kubernetes notices nothing but its
 *   failing probes; resumed, it is ready again; paused, it still shuts down gracefully on pod
 *   deletion and when the kubelet stops.
 */
import * as k8s from "@kubernetes/client-node";
import { Etcd3 } from "etcd3";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import {
  type ClusterIdentity,
  joinConfigMapName,
  memberClientURL,
  peerURL,
  podName,
  pvcName,
} from "../../../model/naming";
import { type ControlPlane, startControlPlane } from "../controlPlane";
import { componentObjects } from "../fixtures/etcdStatefulSet";
import { serverSideApply } from "../support/apply";
import { processState } from "../support/pids";
import { gone, isReady, pidOf } from "../support/pods";
import { until } from "../support/poll";
import { liveProcesses } from "../support/processes";
import { seconds } from "../support/times";
import { type Kubelet, startKubelet } from "./index";

const HOST = "127.9.0.1";
const cluster: ClusterIdentity = {
  name: "etcd",
  namespace: "e2e-kubelet-faults",
  clusterDomain: "cluster.local",
};
const MEMBERS = [0, 1, 2];
const WAIT = { timeoutMs: 180_000, maxIntervalMs: 250 };
const mergePatch = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);
const PVC_PROTECTION = "kubernetes.io/pvc-protection";
/** etcd 3.5 logs this when SIGTERM (or SIGINT) starts its graceful shutdown. */
const GRACEFUL_SHUTDOWN = /received signal; shutting down/;

// The logs stay after the kubelet stops, for the last test; removed here.
const rootDir = fs.mkdtempSync(path.join(os.tmpdir(), "etcd-k8s-faults-"));
let controlPlane: ControlPlane | undefined;
let kubelet: Kubelet | undefined;
let config: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;

before(async () => {
  controlPlane = await startControlPlane({ host: HOST });
  kubelet = await startKubelet({
    kubeconfig: controlPlane.kubeconfig,
    kubeletCA: controlPlane.kubeletCA,
    nodeName: "faults-kubelet",
    nodeIP: HOST,
    podIPRange: { first: "127.9.1.1", last: "127.9.1.254" },
    rootDir,
    keepRootDir: true,
    crashLoopBackoff: { initialMs: 1_000, maxMs: 4_000 },
  });
  config = new k8s.KubeConfig();
  config.loadFromString(controlPlane.kubeconfig);
  core = config.makeApiClient(k8s.CoreV1Api);
  apps = config.makeApiClient(k8s.AppsV1Api);
});

after(async () => {
  await kubelet?.stop();
  await controlPlane?.stop();
  fs.rmSync(rootDir, { recursive: true, force: true });
});

const readPod = (ordinal: number) =>
  core.readNamespacedPod({ name: podName(cluster, ordinal), namespace: cluster.namespace });

const readClaim = (ordinal: number) =>
  core.readNamespacedPersistentVolumeClaim({
    name: pvcName(cluster, ordinal),
    namespace: cluster.namespace,
  });

const containerStatus = (pod: k8s.V1Pod) => pod.status?.containerStatuses?.[0];

/** The pod of this ordinal once `ready` says so, if it is not `notUid`. */
function podOnce(ordinal: number, what: string, ready: (pod: k8s.V1Pod) => boolean, notUid = "") {
  return until(
    `${podName(cluster, ordinal)} ${what}`,
    async () => {
      const pod = await readPod(ordinal);
      return pod.metadata?.uid !== notUid && ready(pod) ? pod : undefined;
    },
    WAIT,
  );
}

const client = (ordinal: number, deadlineMs = 10_000) =>
  new Etcd3({
    hosts: memberClientURL(cluster, ordinal),
    defaultCallOptions: () => ({ deadline: Date.now() + deadlineMs }),
  });

async function withClient<T>(ordinal: number, use: (c: Etcd3) => Promise<T>): Promise<T> {
  const c = client(ordinal);
  try {
    return await use(c);
  } finally {
    c.close();
  }
}

function joinConfigMap(state: "new" | "existing"): k8s.KubernetesObject {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: joinConfigMapName(cluster), namespace: cluster.namespace },
    data: {
      ETCD_INITIAL_CLUSTER: MEMBERS.map(
        (i) => `${podName(cluster, i)}=${peerURL(cluster, i)}`,
      ).join(","),
      ETCD_INITIAL_CLUSTER_STATE: state,
    },
  } as k8s.KubernetesObject;
}

test("three members bootstrap together, each on its own claim", async () => {
  const objects = await componentObjects(cluster);
  await serverSideApply(config, [
    objects.namespace,
    objects.peerService,
    joinConfigMap("new"),
    objects.statefulSet,
  ]);
  await apps.patchNamespacedStatefulSetScale(
    { name: cluster.name, namespace: cluster.namespace, body: { spec: { replicas: 3 } } },
    mergePatch,
  );
  for (const ordinal of MEMBERS) await podOnce(ordinal, "to be Ready", isReady);
  await withClient(0, async (c) => {
    await c.put("written-before").value("replicated to every member");
    assert.equal((await c.cluster.memberList({})).members.length, 3);
  });
});

test("etcd-1's claim, deleted while in use, goes with its pod; the new pod starts on a new empty volume", async () => {
  const ns = cluster.namespace;
  const oldClaim = await readClaim(1);
  const oldPod = await readPod(1);
  const oldDirectory = kubelet?.volumeDirectory(ns, pvcName(cluster, 1)) ?? "";
  assert.ok(fs.existsSync(path.join(oldDirectory, "data", "member", "wal")), "etcd-1's WAL");
  fs.writeFileSync(path.join(oldDirectory, "old-data-marker"), "written before the claim went");

  await core.deleteNamespacedPersistentVolumeClaim({ name: pvcName(cluster, 1), namespace: ns });
  // pvc-protection keeps a claim that a scheduled pod uses (pvc_protection_controller.go podUsesPVC).
  const terminating = await readClaim(1);
  assert.ok(terminating.metadata?.deletionTimestamp, "the claim is being deleted");
  assert.ok(terminating.metadata?.finalizers?.includes(PVC_PROTECTION));
  assert.equal(terminating.metadata?.uid, oldClaim.metadata?.uid);
  assert.equal(terminating.status?.phase, "Bound");
  const running = await readPod(1);
  assert.equal(running.metadata?.uid, oldPod.metadata?.uid);
  assert.ok(isReady(running), "the member keeps running on its claim");
  assert.ok(fs.existsSync(oldDirectory));

  // As the membership provider does: the replacement waits for its join settings until the old
  // member is removed and the new one added.
  await core.deleteNamespacedConfigMap({ name: joinConfigMapName(cluster), namespace: ns });
  const started = Date.now();
  await core.deleteNamespacedPod({ name: podName(cluster, 1), namespace: ns });
  await until("the old pod to be gone", () => gone(() => readPod(1), oldPod.metadata?.uid), WAIT);
  const podGone = Date.now() - started;

  await until(
    "the old claim to be gone",
    () => gone(() => readClaim(1), oldClaim.metadata?.uid),
    WAIT,
  );
  const claimGone = Date.now() - started;
  await until(
    "the old directory to be removed",
    () => !fs.existsSync(oldDirectory) || undefined,
    WAIT,
  );
  await until(
    "the old PersistentVolume to be deleted",
    () => gone(() => core.readPersistentVolume({ name: oldClaim.spec?.volumeName ?? "" })),
    WAIT,
  );
  const newClaim = await until(
    "a new claim to be Bound",
    async () => {
      const claim = await readClaim(1);
      const fresh = claim.metadata?.uid !== oldClaim.metadata?.uid;
      return fresh && claim.status?.phase === "Bound" ? claim : undefined;
    },
    WAIT,
  );
  const claimBound = Date.now() - started;
  assert.notEqual(newClaim.spec?.volumeName, oldClaim.spec?.volumeName);

  const waiting = await podOnce(
    1,
    "(new) to wait for its join settings",
    (p) => containerStatus(p)?.state?.waiting?.reason === "CreateContainerConfigError",
    oldPod.metadata?.uid,
  );
  const podWaiting = Date.now() - started;
  assert.equal(waiting.spec?.nodeName, kubelet?.nodeName);
  const newDirectory = kubelet?.volumeDirectory(ns, pvcName(cluster, 1)) ?? "";
  assert.notEqual(newDirectory, "");
  assert.notEqual(newDirectory, oldDirectory);
  assert.deepEqual(fs.readdirSync(newDirectory), [], "the new volume starts empty");

  let removed = 0;
  await withClient(0, async (c) => {
    const { members } = await c.cluster.memberList({});
    const old = members.find((m) => m.name === podName(cluster, 1));
    assert.ok(old, "the old etcd-1 is still a member");
    await c.cluster.memberRemove({ ID: old.ID });
    removed = Date.now();
    // etcd's strict reconfiguration check refuses a voting member ("unhealthy cluster") until the
    // local member has been connected to every remaining voter for 5 s.
    await until(
      "etcd to accept the new etcd-1",
      async () => {
        const list = await c.cluster.memberList({});
        if (list.members.some((m) => m.peerURLs.includes(peerURL(cluster, 1)))) return true;
        await c.cluster.memberAdd({ peerURLs: [peerURL(cluster, 1)] });
        return true;
      },
      WAIT,
    );
  });
  const accepted = Date.now() - removed;
  await serverSideApply(config, [joinConfigMap("existing")]);
  const joined = Date.now();
  const ready = await podOnce(1, "(new) to be Ready", isReady, oldPod.metadata?.uid);
  const joinedReady = Date.now() - joined;
  assert.equal(ready.metadata?.uid, waiting.metadata?.uid);

  assert.ok(fs.existsSync(path.join(newDirectory, "data", "member", "wal")), "a new WAL");
  assert.equal(fs.existsSync(path.join(newDirectory, "old-data-marker")), false);
  await withClient(1, async (c) => {
    assert.equal(await c.get("written-before").string(), "replicated to every member");
  });

  // The StatefulSet controller refuses to create a pod whose claim is being deleted
  // (stateful_pod_control.go createPersistentVolumeClaims); how often it did here depends on
  // which controller saw the old pod's deletion first.
  const refusals = (await core.listNamespacedEvent({ namespace: ns })).items.filter(
    (e) => e.reason === "FailedCreate" && /is being deleted/.test(e.message ?? ""),
  );
  const refused = refusals.reduce((n, e) => n + (e.count ?? 1), 0);
  console.log(
    `[timing] volume replacement: pod deleted → old pod gone ${seconds(podGone)}, ` +
      `old claim gone ${seconds(claimGone)}, new claim bound ${seconds(claimBound)}, ` +
      `new pod waiting for its join settings ${seconds(podWaiting)}; old member removed → ` +
      `new member accepted ${seconds(accepted)}; join settings written → Ready ` +
      `${seconds(joinedReady)} ` +
      `(StatefulSet controller refused the pod ${refused}× while the old claim was terminating)`,
  );
});

test("a paused member stops answering and turns unready, with nothing else noticed; resumed, it is ready again", async () => {
  const ns = cluster.namespace;
  const pod = await podOnce(2, "to be Ready", isReady);
  const pid = pidOf(pod);
  assert.deepEqual(kubelet?.containerPids(ns, podName(cluster, 2)), { etcd: pid });

  const pausedAt = Date.now();
  assert.deepEqual(kubelet?.pause(ns, podName(cluster, 2)), [pid]);
  await until("etcd-2 to be stopped", () => processState(pid) === "T" || undefined, WAIT);
  const silent = client(2, 2_000);
  try {
    await assert.rejects(silent.maintenance.status(), "a paused etcd does not answer");
  } finally {
    silent.close();
  }

  const unready = await podOnce(2, "to turn unready", (p) => !isReady(p));
  const unreadyAfter = Date.now() - pausedAt;
  // Readiness fails after 15 probes of at most 1 s each, liveness only after 6 of 10 s (each of
  // them a 5 s timeout here): nothing else changed.
  assert.equal(unready.metadata?.uid, pod.metadata?.uid);
  assert.ok(containerStatus(unready)?.state?.running, "still running for Kubernetes");
  assert.equal(pidOf(unready), pid);
  assert.equal(containerStatus(unready)?.restartCount, containerStatus(pod)?.restartCount);
  assert.equal(unready.status?.phase, "Running");

  assert.deepEqual(kubelet?.resume(ns, podName(cluster, 2)), [pid]);
  const resumedAt = Date.now();
  await podOnce(2, "to be Ready again", isReady);
  const readyAfter = Date.now() - resumedAt;
  await withClient(2, async (c) => {
    assert.equal(await c.get("written-before").string(), "replicated to every member");
  });
  console.log(
    `[timing] pause: paused → unready ${seconds(unreadyAfter)}; resumed → ready ${seconds(readyAfter)}`,
  );
});

test("a paused member's pod is deleted gracefully: etcd gets its SIGTERM", async () => {
  const ns = cluster.namespace;
  const pod = await podOnce(2, "to be Ready", isReady);
  const log = kubelet?.logFile(ns, podName(cluster, 2), "etcd") ?? "";
  const [pid] = kubelet?.pause(ns, podName(cluster, 2)) ?? [];
  await until("etcd-2 to be stopped", () => processState(pid) === "T" || undefined, WAIT);

  const started = Date.now();
  await core.deleteNamespacedPod({ name: podName(cluster, 2), namespace: ns });
  await until("the paused pod to be gone", () => gone(() => readPod(2), pod.metadata?.uid), WAIT);
  console.log(`[timing] paused pod deleted in ${seconds(Date.now() - started)}`);
  assert.match(fs.readFileSync(log, "utf8"), GRACEFUL_SHUTDOWN);
});

test("stopping the kubelet shuts a paused member down gracefully and leaves no process", async () => {
  const ns = cluster.namespace;
  await podOnce(0, "to be Ready", isReady);
  const log = kubelet?.logFile(ns, podName(cluster, 0), "etcd") ?? "";
  const [pid] = kubelet?.pause(ns, podName(cluster, 0)) ?? [];
  await until("etcd-0 to be stopped", () => processState(pid) === "T" || undefined, WAIT);

  await kubelet?.stop();
  await controlPlane?.stop();
  kubelet = undefined;
  controlPlane = undefined;
  assert.deepEqual(
    liveProcesses().map((p) => p.spec.name),
    [],
  );
  assert.match(fs.readFileSync(log, "utf8"), GRACEFUL_SHUTDOWN);
});
