/**
 * The README's "Restoring from a snapshot" runbook for Kubernetes, step by step, with the real
 * program on the local control plane and process kubelet (127.7.0.1; pods on 127.7.1.x). A cluster
 * of 3 holds known keys; a size change through `up` takes the safety snapshot a user would restore;
 * keys written after it must be gone after the restore. The `kubectl` commands of the runbook are
 * the same Kubernetes API calls made here with the client library; the one-off pod that runs
 * etcdutl cannot run on the process kubelet (no images, no exec), so step 3 runs the same etcdutl
 * command with the same flags, as the pod's user, straight into the claim's volume directory.
 */
import * as k8s from "@kubernetes/client-node";
import * as assert from "node:assert/strict";
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { ETCD_USER_ID, POD_SECURITY_CONTEXT } from "../../../components/builders/podSpec";
import {
  DATA_DIR,
  DATA_MOUNT_PATH,
  joinConfigMapName,
  peerURL,
  podName,
  pvcName,
  statefulSetName,
} from "../../../model/naming";
import type { SnapshotRecord } from "../../../providers/snapshots/store";
import { verifySnapshotFile } from "../../../providers/snapshots/verify";
import { etcdutlBinary } from "../../harness/etcdBinaries";
import { hexId, withEtcd } from "../clusterState";
import { applyFsGroup } from "../kubelet/volumeOwnership";
import { SETTLE, waitSettled } from "../settled";
import { serverSideApply } from "../support/apply";
import { until } from "../support/poll";
import { Scenario } from "./harness";

const KEYS = 20;
/** The runbook's `--bump-revision`: revisions go on past any a client saw before the restore. */
const REVISION_BUMP = 1_000_000_000;
const BEFORE = "restore/before/";
const AFTER = "restore/after/";
/** What `kubectl` sends as field manager, for the objects the runbook applies with it. */
const KUBECTL = "kubectl";

/** Where the runbook's step 1 copies the snapshot aside (and, here, the one-off pod's /tmp). */
const asideDir = fs.mkdtempSync(path.join(os.tmpdir(), "etcd-k8s-restore-aside-"));
let scenario: Scenario;
let original: { clusterId: string; snapshot: SnapshotRecord };

before(async () => {
  scenario = await Scenario.start({
    name: "restore",
    host: "127.7.0.1",
    podNetwork: "127.7.1",
    localSnapshots: true,
  });
});

after(async () => {
  try {
    await scenario?.stop();
  } finally {
    fs.rmSync(asideDir, { recursive: true, force: true });
  }
});

const apps = () => scenario.kubeConfig.makeApiClient(k8s.AppsV1Api);
const core = () => scenario.kubeConfig.makeApiClient(k8s.CoreV1Api);
const podIPs = (state: { pods: { podIP?: string }[] }) => state.pods.map((p) => p.podIP!);

async function putKeys(ips: string[], prefix: string): Promise<void> {
  await withEtcd(ips, async (client) => {
    for (let i = 0; i < KEYS; i++) await client.put(`${prefix}${i}`).value(`${prefix}${i}`).exec();
  });
}

/** The keys under `prefix` one member holds, by a member-local (serializable) read. */
const keysOn = (ip: string, prefix: string) =>
  withEtcd(ip, (c) => c.getAll().prefix(prefix).serializable(true).keys());

const clusterIdOf = async (ip: string) =>
  hexId((await withEtcd(ip, (c) => c.cluster.memberList({}))).header.cluster_id);

/** `kubectl scale statefulset <name> --replicas=<n>`. */
async function scaleStatefulSet(replicas: number): Promise<void> {
  const { namespace } = scenario.cluster;
  await apps().patchNamespacedStatefulSetScale(
    { name: statefulSetName(scenario.cluster), namespace, body: { spec: { replicas } } },
    k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
  );
}

test("before the incident: a cluster of 3 with known keys, and a safety snapshot from a size change", async () => {
  await scenario.up("create with size 3", { size: 3 });
  const created = await waitSettled(scenario.kubeConfig, scenario.cluster, 3);
  await putKeys(podIPs(created), BEFORE);
  const clusterId = await clusterIdOf(created.pods[0].podIP!);
  const { outputs } = await scenario.up("3 → 2 (takes a safety snapshot)", { size: 2 });
  const snapshot = outputs.latestSnapshot as SnapshotRecord;
  assert.equal(path.dirname(snapshot.path), scenario.snapshotDir);
  original = { clusterId, snapshot };
  const shrunk = await waitSettled(scenario.kubeConfig, scenario.cluster, 2);
  // Acknowledged writes after the last snapshot: a restore from it loses them.
  await putKeys(podIPs(shrunk), AFTER);
});

test("step 1: check the snapshot and copy it aside", () => {
  const { snapshot } = original;
  const check = childProcess.execFileSync("sha256sum", ["-c", `${snapshot.path}.sha256`], {
    cwd: path.dirname(snapshot.path),
    encoding: "utf8",
  });
  assert.equal(check, `${path.basename(snapshot.path)}: OK\n`);
  assert.equal(verifySnapshotFile(snapshot.path).sha256, snapshot.sha256);
  fs.copyFileSync(snapshot.path, path.join(asideDir, "etcd.db"));
});

test("step 2: stop every member and delete the volumes", async () => {
  const { namespace } = scenario.cluster;
  const { kubelet } = scenario.kubernetes;
  const oldDirectories = (await scenario.state()).volumes.map((v) =>
    kubelet.volumeDirectory(namespace, v.name)!,
  );
  // `kubectl scale … --replicas=0`, then `kubectl delete pvc -l …`, which waits until they are gone.
  await scaleStatefulSet(0);
  await core().deleteCollectionNamespacedPersistentVolumeClaim({
    namespace,
    labelSelector: `app.kubernetes.io/name=etcd,app.kubernetes.io/instance=${scenario.cluster.name}`,
  });
  await until(
    "the pods and volumes to be gone",
    async () => {
      const s = await scenario.state();
      const left = [...s.pods, ...s.volumes].map((x) => x.name);
      if (left.length > 0) throw new Error(`still there: ${left.join(", ")}`);
      return oldDirectories.every((d) => !fs.existsSync(d)) || undefined;
    },
    SETTLE,
  );
});

test("step 3: restore into member 0's volume", async () => {
  const { cluster } = scenario;
  const { namespace } = cluster;
  const statefulSet = await apps().readNamespacedStatefulSet({
    name: statefulSetName(cluster),
    namespace,
  });
  // The runbook's `jq` turns the claim template into this claim.
  const template = statefulSet.spec!.volumeClaimTemplates![0];
  const claim = pvcName(cluster, 0);
  await serverSideApply(
    scenario.kubeConfig,
    [
      {
        apiVersion: "v1",
        kind: "PersistentVolumeClaim",
        metadata: { name: claim, namespace, labels: template.metadata?.labels },
        spec: template.spec,
      } as k8s.KubernetesObject,
    ],
    KUBECTL,
  );
  const volume = await until(
    `${claim} to be bound`,
    () => scenario.kubernetes.kubelet.volumeDirectory(namespace, claim),
    SETTLE,
  );
  // A new token, not the StatefulSet's: with the StatefulSet's, etcd derives the same member and
  // cluster IDs as the original cluster's (this test saw it), so it would not be a new cluster.
  const token = `${cluster.name}-restored-${new Date().toISOString().replace(/[-:]|\.\d+/g, "")}`;
  const member = `${podName(cluster, 0)}=${peerURL(cluster, 0)}`;
  // Stand-in for the one-off pod: its volume gets the pod's fsGroup as the kubelet applies it,
  // and etcdutl runs as the pod's user with the runbook's flags, the mount path mapped onto the
  // volume's directory. The snapshot is the copy from step 1, readable like the pod's /tmp.
  applyFsGroup(volume, POD_SECURITY_CONTEXT.fsGroup as number, "OnRootMismatch");
  fs.chmodSync(asideDir, 0o755);
  fs.chmodSync(path.join(asideDir, "etcd.db"), 0o644);
  const inVolume = (p: string) => path.join(volume, path.relative(DATA_MOUNT_PATH, p));
  childProcess.execFileSync(
    etcdutlBinary(),
    [
      "snapshot",
      "restore",
      path.join(asideDir, "etcd.db"),
      "--name",
      podName(cluster, 0),
      "--initial-cluster",
      member,
      "--initial-advertise-peer-urls",
      peerURL(cluster, 0),
      "--initial-cluster-token",
      token,
      "--bump-revision",
      String(REVISION_BUMP),
      "--mark-compacted",
      "--data-dir",
      inVolume(DATA_DIR),
    ],
    { uid: ETCD_USER_ID, gid: ETCD_USER_ID, stdio: "pipe" },
  );
});

test("step 4: the join configuration names member 0, one replica starts on the restored data", async () => {
  const { cluster } = scenario;
  // The record names the cluster before the restore; the restored one is a new cluster, which the
  // next run records. `kubectl patch configmap etcd-join --type=merge -p
  // '{"metadata":{"finalizers":null}}'` and `kubectl delete configmap etcd-join`.
  const name = joinConfigMapName(cluster);
  await core().patchNamespacedConfigMap(
    { name, namespace: cluster.namespace, body: { metadata: { finalizers: null } } },
    k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
  );
  await core().deleteNamespacedConfigMap({ name, namespace: cluster.namespace });
  // `kubectl create configmap … --dry-run=client -o yaml | kubectl apply -f -`, `kubectl scale`,
  // `kubectl rollout status`.
  await serverSideApply(
    scenario.kubeConfig,
    [
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: joinConfigMapName(cluster), namespace: cluster.namespace },
        data: {
          ETCD_INITIAL_CLUSTER_STATE: "existing",
          ETCD_INITIAL_CLUSTER: `${podName(cluster, 0)}=${peerURL(cluster, 0)}`,
        },
      } as k8s.KubernetesObject,
    ],
    KUBECTL,
  );
  await scaleStatefulSet(1);
  const state = await waitSettled(scenario.kubeConfig, cluster, 1);
  const ip = state.pods[0].podIP!;
  assert.equal((await keysOn(ip, BEFORE)).length, KEYS);
  assert.deepEqual(await keysOn(ip, AFTER), []);
});

test("step 5: the provider grows the restored cluster to 3", async () => {
  // `pulumi config set size 3`, `pulumi up --refresh`: the stack still says 2 members.
  const result = await scenario.up("up --refresh at size 3", { size: 3 }, { refresh: true });
  assert.ok(
    result.log.some((l) => /dynamic\/etcd:Membership etcd-membership refresh(ing|ed)\b/.test(l)),
    "the membership resource is refreshed first",
  );
  assert.ok(result.log.some((l) => l.includes("etcd-2: add as learner")));
  assert.notEqual(
    (result.outputs.latestSnapshot as SnapshotRecord).path,
    original.snapshot.path,
    "a new safety snapshot of the restored cluster",
  );
});

test("step 6: every key from before the snapshot on every member, none after, a new cluster ID", async () => {
  const state = await waitSettled(scenario.kubeConfig, scenario.cluster, 3);
  assert.deepEqual(
    state.members.map((m) => `${m.name} ${m.role}`),
    ["etcd-0 voter", "etcd-1 voter", "etcd-2 voter"],
  );
  const expected = Array.from({ length: KEYS }, (_, i) => `${BEFORE}${i}`).sort();
  for (const pod of state.pods) {
    assert.deepEqual((await keysOn(pod.podIP!, BEFORE)).sort(), expected, pod.name);
    assert.deepEqual(await keysOn(pod.podIP!, AFTER), [], pod.name);
  }
  const ip = state.pods[0].podIP!;
  assert.notEqual(await clusterIdOf(ip), original.clusterId, "a new cluster");
  const { header } = await withEtcd(ip, (c) => c.maintenance.status());
  assert.ok(Number(header.revision) >= original.snapshot.revision + REVISION_BUMP);
  await assert.rejects(
    withEtcd(ip, (c) => c.get(`${BEFORE}0`).revision(original.snapshot.revision).exec()),
    /required revision has been compacted/,
    "revisions from before the restore count as compacted",
  );
});
