/**
 * EtcdCluster used as a component with an explicit Kubernetes provider
 * (test/e2e/fixtures/explicit-provider: `new EtcdCluster("etcd", { …, kubeconfig, context },
 * { provider })`), through the Pulumi CLI, with two local control planes running at once. The
 * kubeconfig holds both as contexts `a` and `b`; the program names `a`, while KUBECONFIG (what the
 * CLI, the Kubernetes plugin and the membership provider see by default) points at `b`. The
 * StatefulSet, its pods and volumes, the cluster record and every membership change must land on
 * `a`, and nothing on `b`. Control planes on 127.27.0.1 and 127.28.0.1.
 */
import * as k8s from "@kubernetes/client-node";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { joinConfigMapName, type ClusterIdentity } from "../../../model/naming";
import { type LocalKubernetes, startLocalKubernetes } from "../localKubernetes";
import { PulumiStack } from "../pulumi/stack";
import { kubeconfigText } from "../support/kubeconfig";
import { repoRoot } from "../support/repo";
import { seconds } from "../support/times";
import { waitSettled } from "../settled";

const NAMESPACE = "explicit";
const CLUSTER: ClusterIdentity = {
  name: "etcd",
  namespace: NAMESPACE,
  clusterDomain: "cluster.local",
};
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "etcd-k8s-explicit-provider-"));
let a: LocalKubernetes;
let b: LocalKubernetes;
let stack: PulumiStack;

const configOf = (k: LocalKubernetes) => {
  const config = new k8s.KubeConfig();
  config.loadFromString(k.controlPlane.kubeconfig);
  return config;
};

/** One kubeconfig with both control planes, as contexts `a` and `b`; `b` is current. */
function bothContexts(): string {
  const parsed = (name: string, k: LocalKubernetes) =>
    JSON.parse(kubeconfigText(k.controlPlane.server, k.controlPlane.token, name)) as {
      clusters: unknown[];
      users: { name: string; user: unknown }[];
      contexts: { name: string; context: { cluster: string; user: string } }[];
    };
  const [ca, cb] = [parsed("a", a), parsed("b", b)];
  const user = (name: string, c: typeof ca) => ({ name, user: c.users[0].user });
  const context = (name: string) => ({ name, context: { cluster: name, user: `${name}-admin` } });
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [...ca.clusters, ...cb.clusters],
    users: [user("a-admin", ca), user("b-admin", cb)],
    contexts: [context("a"), context("b")],
    "current-context": "b",
  });
}

before(async () => {
  a = await startLocalKubernetes({
    host: "127.27.0.1",
    nodeName: "explicit-a-kubelet",
    podIPRange: { first: "127.27.1.1", last: "127.27.1.254" },
  });
  b = await startLocalKubernetes({
    host: "127.28.0.1",
    nodeName: "explicit-b-kubelet",
    podIPRange: { first: "127.28.1.1", last: "127.28.1.254" },
  });
  const kubeconfigFile = path.join(workDir, "both.kubeconfig");
  fs.writeFileSync(kubeconfigFile, bothContexts(), { mode: 0o600 });
  stack = new PulumiStack({
    stack: "explicit",
    projectDir: path.join(repoRoot(), "test/e2e/fixtures/explicit-provider"),
    // KUBECONFIG of every command: control plane b.
    kubeconfigPath: b.controlPlane.kubeconfigPath,
    workDir: path.join(workDir, "stack"),
    base: {
      kubeconfigFile,
      context: "a",
      namespace: NAMESPACE,
      size: 1,
      snapshotDirectory: path.join(workDir, "snapshots"),
    },
    onLine: (line) => console.log(`  | ${line}`),
  });
});

after(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  fs.rmSync(workDir, { recursive: true, force: true });
});

async function nothingOnB(): Promise<void> {
  const names = (await configOf(b).makeApiClient(k8s.CoreV1Api).listNamespace()).items.map(
    (n) => n.metadata?.name,
  );
  assert.ok(!names.includes(NAMESPACE), `control plane b has no namespace ${NAMESPACE}`);
}

async function step(size: number): Promise<void> {
  const result = await stack.up({ size });
  console.log(`[timing] explicit-provider: up to size ${size}: ${seconds(result.ms)}`);
  const status = result.outputs.memberStatus as { name: string; role: string }[];
  assert.deepEqual(
    status.map((m) => `${m.name} ${m.role}`),
    Array.from({ length: size }, (_, k) => `etcd-${k} voter`),
  );
  const state = await waitSettled(configOf(a), CLUSTER, size);
  assert.equal(state.members.length, size, "the members run on control plane a");
  const record = await configOf(a)
    .makeApiClient(k8s.CoreV1Api)
    .readNamespacedConfigMap({ name: joinConfigMapName(CLUSTER), namespace: NAMESPACE });
  assert.ok(record.metadata?.annotations?.["etcd-k8s.io/cluster-id"], "the record is on a");
  await nothingOnB();
}

test("create with size 1 lands on context a, not on KUBECONFIG's b", async () => {
  await step(1);
});

test("1 → 3: the membership changes go to a too", async () => {
  await step(3);
});
