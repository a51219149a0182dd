/**
 * The process kubelet against a real control plane: an etcd StatefulSet of the component's shape
 * runs as real etcd processes, scales, and cleans up, through the real StatefulSet, PV and PVC
 * controllers.
 */
import * as k8s from "@kubernetes/client-node";
import { Etcd3 } from "etcd3";
import * as assert from "node:assert/strict";
import * as dns from "node:dns/promises";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, test } from "node:test";
import {
  type ClusterIdentity,
  joinConfigMapName,
  memberClientURL,
  memberHost,
  peerURL,
  podName,
  pvcName,
} from "../../model/naming";
import { type ControlPlane, startControlPlane } from "./controlPlane";
import { bootstrapJoinConfigMap, componentObjects } from "./fixtures/etcdStatefulSet";
import { type Kubelet, startKubelet } from "./kubelet";
import { hostsBlockPattern } from "./kubelet/hosts";
import { serverSideApply } from "./support/apply";
import { gone, isReady, pidOf } from "./support/pods";
import { until } from "./support/poll";
import { liveProcesses } from "./support/processes";

const cluster: ClusterIdentity = {
  name: "etcd",
  namespace: "e2e-kubelet",
  clusterDomain: "cluster.local",
};
const crashing: ClusterIdentity = { ...cluster, name: "crash" };
const WAIT = { timeoutMs: 120_000, maxIntervalMs: 1_000 };
const hostsBefore = fs.readFileSync("/etc/hosts", "utf8");
const mergePatch = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);

let controlPlane: ControlPlane | undefined;
let kubelet: Kubelet | undefined;
let config: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let apps: k8s.AppsV1Api;

before(async () => {
  controlPlane = await startControlPlane();
  // A short crash-loop back-off (kubelet configuration, not the pod spec) keeps the restart test quick.
  kubelet = await startKubelet({
    kubeconfig: controlPlane.kubeconfig,
    kubeletCA: controlPlane.kubeletCA,
    crashLoopBackoff: { initialMs: 1_000, maxMs: 4_000 },
  });
  config = new k8s.KubeConfig();
  config.loadFromString(controlPlane.kubeconfig);
  core = config.makeApiClient(k8s.CoreV1Api);
  apps = config.makeApiClient(k8s.AppsV1Api);
});

// Safety net when a test fails half way; the last test checks the same things on purpose.
after(async () => {
  await kubelet?.stop();
  await controlPlane?.stop();
});

const readPod = (c: ClusterIdentity, ordinal: number) =>
  core.readNamespacedPod({ name: podName(c, ordinal), namespace: c.namespace });

const readClaim = (c: ClusterIdentity, ordinal: number) =>
  core.readNamespacedPersistentVolumeClaim({ name: pvcName(c, ordinal), namespace: c.namespace });

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A deleted claim's directory and its local PersistentVolume both go, as with a Delete reclaim policy. */
async function volumeReleased(
  directory: string,
  claim: k8s.V1PersistentVolumeClaim,
): Promise<void> {
  await until(
    "the volume directory to be removed",
    () => (fs.existsSync(directory) ? undefined : true),
    WAIT,
  );
  await until(
    "the PersistentVolume to be deleted",
    () => gone(() => core.readPersistentVolume({ name: claim.spec?.volumeName ?? "" })),
    WAIT,
  );
}

test("a member pod waits for its join ConfigMap, then runs real etcd on its pod IP and DNS name", async () => {
  const objects = await componentObjects(cluster);
  await serverSideApply(config, [objects.namespace, objects.peerService, objects.statefulSet]);
  const waiting = await until(
    "etcd-0 to wait for its join ConfigMap",
    async () => {
      const state = (await readPod(cluster, 0)).status?.containerStatuses?.[0]?.state?.waiting;
      return state?.reason === "CreateContainerConfigError" ? state : undefined;
    },
    WAIT,
  );
  assert.equal(waiting.message, `configmap "${joinConfigMapName(cluster)}" not found`);

  await serverSideApply(config, [bootstrapJoinConfigMap(cluster)]);
  const pod = await until(
    "etcd-0 to be Ready",
    async () => {
      const p = await readPod(cluster, 0);
      return isReady(p) ? p : undefined;
    },
    WAIT,
  );
  const podIP = pod.status?.podIP ?? "";
  assert.match(podIP, /^127\.1\.\d+\.\d+$/);
  assert.equal(kubelet?.podIP(cluster.namespace, podName(cluster, 0)), podIP);
  assert.deepEqual(pod.status?.conditions?.map((c) => `${c.type}=${c.status}`).sort(), [
    "ContainersReady=True",
    "Initialized=True",
    "PodScheduled=True",
    "Ready=True",
  ]);

  const resolved = await until(
    "the member's DNS name",
    async () => (await dns.lookup(memberHost(cluster, 0))).address,
    WAIT,
  );
  assert.equal(resolved, podIP);
  const client = new Etcd3({
    hosts: memberClientURL(cluster, 0),
    defaultCallOptions: () => ({ deadline: Date.now() + 10_000 }),
  });
  try {
    await client.put("e2e").value("through the pod's DNS name");
    assert.equal(await client.get("e2e").string(), "through the pod's DNS name");
    const members = await client.cluster.memberList({});
    assert.deepEqual(
      members.members.map((m) => m.peerURLs),
      [[peerURL(cluster, 0)]],
    );
  } finally {
    client.close();
  }

  assert.equal((await readClaim(cluster, 0)).status?.phase, "Bound");
  const directory = kubelet?.volumeDirectory(cluster.namespace, pvcName(cluster, 0)) ?? "";
  assert.ok(
    fs.existsSync(path.join(directory, "data", "member", "wal")),
    `etcd's WAL under ${directory}`,
  );
  assert.equal(
    fs.statSync(path.join(directory, "data")).uid,
    65532,
    "etcd ran as the pod's runAsUser",
  );
});

test("scaling to 0 stops the process, completes the deletion, and whenScaled: Delete removes the volume", async () => {
  const pid = pidOf(await readPod(cluster, 0));
  assert.ok(processExists(pid), `etcd-0 runs as pid ${pid}`);
  const claim = await readClaim(cluster, 0);
  const directory = kubelet?.volumeDirectory(cluster.namespace, pvcName(cluster, 0)) ?? "";
  assert.ok(fs.existsSync(directory));

  await apps.patchNamespacedStatefulSetScale(
    { name: cluster.name, namespace: cluster.namespace, body: { spec: { replicas: 0 } } },
    mergePatch,
  );
  await until("etcd-0 to be deleted", () => gone(() => readPod(cluster, 0)), WAIT);
  assert.equal(processExists(pid), false, `pid ${pid} is gone`);
  await until(
    "the member's DNS name to go",
    async () => {
      try {
        await dns.lookup(memberHost(cluster, 0));
        return undefined;
      } catch {
        return true;
      }
    },
    WAIT,
  );
  // The StatefulSet controller made the pod own the claim; the garbage collector deleted it once
  // the pod was gone, pvc-protection let go, and the released volume went with its directory.
  await until(
    "the garbage collector to delete the claim",
    () => gone(() => readClaim(cluster, 0)),
    WAIT,
  );
  await volumeReleased(directory, claim);
});

test("an exiting container restarts with back-off and reports its last exit", async () => {
  // A join configuration without the member itself: etcd exits 1 at once, on every start.
  const join = bootstrapJoinConfigMap(crashing) as k8s.V1ConfigMap;
  join.data = {
    ETCD_INITIAL_CLUSTER: `${podName(cluster, 0)}=${peerURL(cluster, 0)}`,
    ETCD_INITIAL_CLUSTER_STATE: "new",
  };
  await serverSideApply(config, [join, (await componentObjects(crashing, "Retain")).statefulSet]);
  const status = await until(
    "crash-0 to crash-loop",
    async () => {
      const s = (await readPod(crashing, 0)).status?.containerStatuses?.[0];
      const looping = s?.state?.waiting?.reason === "CrashLoopBackOff" && s.restartCount >= 2;
      return looping ? s : undefined;
    },
    WAIT,
  );
  assert.equal(status.lastState?.terminated?.exitCode, 1);
  assert.match(
    status.lastState?.terminated?.message ?? "",
    /couldn't find local name \\"crash-0\\" in the initial cluster configuration/,
  );
  assert.equal(status.ready, false);

  await apps.deleteNamespacedStatefulSet({ name: crashing.name, namespace: crashing.namespace });
  await until(
    "the garbage collector and kubelet to remove crash-0",
    () => gone(() => readPod(crashing, 0)),
    WAIT,
  );
});

test("deleting a retained PVC deletes its directory and volume, as a Delete reclaim policy does", async () => {
  // whenDeleted: Retain kept crash-0's claim when its StatefulSet went.
  const claim = await readClaim(crashing, 0);
  const directory = kubelet?.volumeDirectory(crashing.namespace, pvcName(crashing, 0)) ?? "";
  assert.ok(fs.existsSync(directory), `volume directory ${directory}`);
  await core.deleteNamespacedPersistentVolumeClaim({
    name: pvcName(crashing, 0),
    namespace: crashing.namespace,
  });
  await volumeReleased(directory, claim);
});

test("stopping kubelet and control plane leaves no process and /etc/hosts as it was", async () => {
  await kubelet?.stop();
  await controlPlane?.stop();
  kubelet = undefined;
  controlPlane = undefined;
  assert.deepEqual(
    liveProcesses().map((p) => p.spec.name),
    [],
  );
  // Other kubelets (another test process) may have their own blocks meanwhile; ours must be gone
  // and everything else exactly as it was.
  const withoutKubelets = (text: string) => text.replace(hostsBlockPattern, "");
  assert.equal(
    withoutKubelets(fs.readFileSync("/etc/hosts", "utf8")),
    withoutKubelets(hostsBefore),
  );
  assert.doesNotMatch(fs.readFileSync("/etc/hosts", "utf8"), new RegExp(`pid ${process.pid} `));
});
