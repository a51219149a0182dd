/**
 * `pulumi destroy`, then `pulumi up` again over the volumes the destroy kept (issue 9, part 5,
 * scenario 2), at size 1 and at size 3, through the real program on a real control plane with the
 * process kubelet. The re-create must refuse, naming the old volumes; its new pod must not start
 * etcd (it waits for the join ConfigMap the destroy removed), so the destroyed cluster's keys are
 * served by nobody. Deleting the claims, as the README says, lets the next `up` found a new,
 * empty cluster (a new cluster ID; none of the old keys).
 *
 * While each cluster lives, a client writes without pause through every member and every write it
 * got acknowledged must be on every member before the destroy; a monitor checks during every `up`
 * that no voter is without its pod. Control plane on 127.22.0.1, pods on 127.22.1.x.
 */
import * as k8s from "@kubernetes/client-node";
import * as assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { withEtcd } from "../clusterState";
import { StackRunError, firstError } from "../pulumi/stack";
import { until } from "../support/poll";
import { type Watch, watched } from "../support/watchedRun";
import { Scenario } from "./harness";

let scenario: Scenario;
let watch: Watch;
/** The destroyed clusters' step keys with their values, and their writers' key prefixes. */
const destroyedMarkers: [string, string][] = [];
const destroyedPrefixes: string[] = [];
const destroyedClusterIds: string[] = [];

before(async () => {
  scenario = await Scenario.start({
    name: "recreate",
    host: "127.22.0.1",
    podNetwork: "127.22.1",
    localSnapshots: true,
  });
  watch = scenario.watch();
});

after(() => scenario?.stop());

let writerPrefix = "";

function startWriter(generation: number): void {
  writerPrefix = `writer-${generation}/`;
  watch.writer = scenario.startWriter(writerPrefix);
}

/** Stops the writer; every acknowledged write must be on every member. */
async function verifyWriter(step: string): Promise<void> {
  const writer = watch.writer!;
  watch.writer = undefined;
  const counts = await scenario.assertWritesKept(writer, step);
  destroyedPrefixes.push(writerPrefix);
  assert.ok(counts.acknowledged > 0, `${step}: the writer got writes acknowledged`);
}

async function clusterId(podIP: string): Promise<string> {
  const status = await withEtcd(podIP, (c) => c.maintenance.status());
  return BigInt(status.header.cluster_id).toString(16);
}

/** Destroy, and wait until the garbage collector and the kubelet have removed the pods. */
async function destroy(volumes: string[]): Promise<void> {
  const state = await scenario.state();
  destroyedClusterIds.push(await clusterId(state.pods[0].podIP!));
  destroyedMarkers.push(...scenario.newCluster());
  await scenario.destroy();
  const gone = await scenario.podsGone();
  assert.equal(gone.joinConfigMap, false, "destroy removed the cluster record");
  assert.deepEqual(
    gone.volumes.map((v) => v.name),
    volumes,
    "destroy keeps the volumes",
  );
}

/**
 * `up` over the kept volumes: refused naming them; the new pod waits for its ConfigMap and never
 * runs etcd; nothing serves the old keys.
 */
async function refusedOverKeptVolumes(step: string, size: number, volumes: string[]) {
  const { namespace } = scenario.cluster;
  const error = await watched(watch, step, () =>
    scenario.up(step, { size }).then(
      () => assert.fail(`${step}: up over kept volumes must refuse`),
      (e: unknown) => e,
    ),
  );
  assert.ok(error instanceof StackRunError, String(error));
  const refusal = firstError(error.log) ?? "";
  assert.match(
    refusal,
    new RegExp(`refused: volumes older than the workload exist: ${volumes.join(", ")}\\.`),
  );
  assert.match(refusal, /nothing was changed/);
  assert.match(
    refusal,
    /delete them and the pod\(s\) waiting on them \(etcd-0: they never started etcd\)/,
    "the refusal names the pod that holds the claim",
  );
  const core = scenario.kubeConfig.makeApiClient(k8s.CoreV1Api);
  // The new StatefulSet's first pod (replicas default to 1) is there, on the old claim, waiting.
  const waiting = await until(
    "etcd-0 to wait for its join settings",
    async () => {
      const pod = await core.readNamespacedPod({ name: "etcd-0", namespace });
      const state = pod.status?.containerStatuses?.[0]?.state?.waiting;
      return state?.reason === "CreateContainerConfigError" ? state : undefined;
    },
    { timeoutMs: 60_000, maxIntervalMs: 500 },
  );
  assert.match(waiting.message ?? "", /configmap "etcd-join" not found/);
  // It stays so: no etcd process for it, for as long as we look (several retries of the kubelet).
  const pods = await core.listNamespacedPod({ namespace });
  assert.deepEqual(
    pods.items.map((p) => p.metadata?.name),
    ["etcd-0"],
  );
  for (let i = 0; i < 10; i++) {
    assert.equal(
      scenario.kubernetes.kubelet.containerPids(namespace, "etcd-0").etcd,
      undefined,
      "the new pod never starts etcd",
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const podIP = scenario.kubernetes.kubelet.podIP(namespace, "etcd-0");
  assert.ok(podIP, "the waiting pod has an IP");
  await assert.rejects(
    withEtcd(podIP, (c) => c.get(destroyedMarkers[0][0]).string()),
    "the destroyed cluster's keys are served by nobody",
  );
  console.log(`  ${refusal.slice(refusal.indexOf("refused: "), refusal.indexOf("They hold"))}`);
  console.log(`  etcd-0: ${waiting.reason}: ${waiting.message}; no etcd process`);
}

/**
 * `kubectl delete pvc` for each, as the README says to start empty. The new StatefulSet's pod
 * etcd-0 is scheduled on data-etcd-0 (it waits for its ConfigMap), so pvc-protection keeps that
 * claim, Terminating, and a retry still refuses, naming it. Deleting that pod (it never ran etcd)
 * lets the claim go; the StatefulSet then makes etcd-0 again on a new, empty claim.
 */
async function deleteClaims(step: string, size: number, volumes: string[]): Promise<void> {
  const { namespace } = scenario.cluster;
  const core = scenario.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const old = new Map<string, string>();
  for (const name of volumes) {
    const claim = await core.readNamespacedPersistentVolumeClaim({ name, namespace });
    old.set(name, claim.metadata!.uid!);
    await core.deleteNamespacedPersistentVolumeClaim({ name, namespace });
  }
  const held = await until(
    "the other claims to be gone, data-etcd-0 to stay (in use by etcd-0)",
    async () => {
      const claims = (await core.listNamespacedPersistentVolumeClaim({ namespace })).items;
      const left = claims.filter((c) => old.get(c.metadata!.name!) === c.metadata?.uid);
      return left.length === 1 && left[0].metadata?.name === "data-etcd-0" ? left[0] : undefined;
    },
    { timeoutMs: 60_000, maxIntervalMs: 500 },
  );
  assert.ok(held.metadata?.deletionTimestamp, "data-etcd-0 is being deleted");
  assert.deepEqual(held.metadata?.finalizers, ["kubernetes.io/pvc-protection"]);
  const error = await watched(watch, step, () =>
    scenario.up(step, { size }).then(
      () => assert.fail(`${step}: up over a claim being deleted must refuse`),
      (e: unknown) => e,
    ),
  );
  assert.ok(error instanceof StackRunError, String(error));
  assert.match(error.message, /refused: volumes older than the workload exist: data-etcd-0\./);
  console.log(
    "  claims deleted: data-etcd-0 stays Terminating (pvc-protection: etcd-0 is scheduled on it); " +
      "up still refuses naming it; deleting pod etcd-0 (never ran etcd) lets it go",
  );
  await core.deleteNamespacedPod({ name: "etcd-0", namespace });
  await until(
    "every old claim to be gone",
    async () => {
      const claims = (await core.listNamespacedPersistentVolumeClaim({ namespace })).items;
      return claims.some((c) => old.get(c.metadata!.name!) === c.metadata?.uid) ? undefined : true;
    },
    { timeoutMs: 60_000, maxIntervalMs: 500 },
  );
}

/** After the claims were deleted, `up` founds a new, empty cluster. */
async function foundsNewCluster(step: string, size: number): Promise<void> {
  startWriter(destroyedClusterIds.length);
  await watched(watch, step, () => scenario.up(step, { size }));
  const state = await scenario.converged(step, size);
  for (const pod of state.pods) {
    const id = await clusterId(pod.podIP!);
    assert.ok(!destroyedClusterIds.includes(id), `${pod.name} serves a new cluster, not ${id}`);
    const old = await withEtcd(pod.podIP!, async (c) => {
      const found: string[] = [];
      for (const prefix of destroyedPrefixes) {
        const count = await c.getAll().prefix(prefix).serializable(true).count();
        if (count > 0) found.push(`${count} keys ${prefix}*`);
      }
      // The step keys are written again with each step's name: the old values must not be there.
      for (const [key, value] of destroyedMarkers)
        if ((await c.get(key).serializable(true).string()) === value) found.push(`${key}=${value}`);
      return found;
    });
    assert.deepEqual(old, [], `${pod.name} serves none of the destroyed clusters' keys`);
  }
}

test("size 1: create, destroy keeping the volume, re-create refused, claims deleted, new cluster", async () => {
  startWriter(0);
  await watched(watch, "create with size 1", () => scenario.up("create with size 1", { size: 1 }));
  await scenario.converged("create with size 1", 1);
  await verifyWriter("first cluster (size 1)");
  await destroy(["data-etcd-0"]);
  await refusedOverKeptVolumes("re-create size 1 over the kept volume", 1, ["data-etcd-0"]);
  await deleteClaims("retry after deleting the claim", 1, ["data-etcd-0"]);
  await foundsNewCluster("size 1 after the claim was deleted", 1);
});

test("size 3: grow, destroy keeping the volumes, re-create refused naming all, claims deleted, new cluster", async () => {
  await watched(watch, "1 → 3", () => scenario.up("1 → 3", { size: 3 }));
  await scenario.converged("1 → 3", 3);
  await verifyWriter("second cluster (size 3)");
  const volumes = ["data-etcd-0", "data-etcd-1", "data-etcd-2"];
  await destroy(volumes);
  await refusedOverKeptVolumes("re-create size 3 over the kept volumes", 3, volumes);
  await deleteClaims("retry after deleting the claims", 3, volumes);
  await foundsNewCluster("size 3 after the claims were deleted", 3);
  await verifyWriter("third cluster (size 3)");
});
