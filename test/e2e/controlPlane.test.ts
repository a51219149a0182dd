/** The control plane alone: real binaries at the pinned version, a working kubeconfig, clean stop. */
import * as k8s from "@kubernetes/client-node";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { startControlPlane } from "./controlPlane";
import { liveProcesses } from "./support/processes";
import { kubeBinaries, pinnedKubernetesVersion } from "./support/repo";

test("the control plane serves the pinned Kubernetes version and stops without leftovers", async () => {
  const controlPlane = await startControlPlane();
  const pids = liveProcesses().flatMap((p) => (p.pid === undefined ? [] : [p.pid]));
  try {
    assert.deepEqual(
      liveProcesses().map((p) => p.spec.name),
      ["etcd", "kube-apiserver", "kube-controller-manager"],
    );
    assert.equal(controlPlane.version, pinnedKubernetesVersion());
    assert.match(controlPlane.server, /^https:\/\/127\.1\.0\.1:\d+$/);

    const config = new k8s.KubeConfig();
    config.loadFromFile(controlPlane.kubeconfigPath);
    const namespaces = await config.makeApiClient(k8s.CoreV1Api).listNamespace();
    const names = namespaces.items.map((n) => n.metadata?.name);
    assert.ok(names.includes("default") && names.includes("kube-system"), names.join(","));
    // StatefulSets and PVC retention (GA in 1.32) are served.
    const apps = await config.makeApiClient(k8s.AppsV1Api).listStatefulSetForAllNamespaces();
    assert.deepEqual(apps.items, []);
  } finally {
    await controlPlane.stop();
  }
  assert.deepEqual(liveProcesses(), []);
  for (const pid of pids) assert.throws(() => process.kill(pid, 0), { code: "ESRCH" });
  assert.equal(fs.existsSync(controlPlane.workDir), false);
});

test("missing Kubernetes binaries fail with the command that builds them", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "no-kube-binaries-"));
  try {
    fs.mkdirSync(path.join(root, "test/e2e/kube"), { recursive: true });
    fs.writeFileSync(
      path.join(root, "test/e2e/kube/go.mod"),
      "require k8s.io/kubernetes v1.32.5\n",
    );
    assert.throws(() => kubeBinaries(root), {
      message: /Kubernetes v1\.32\.5 binaries are missing .*run 'bash scripts\/build-kube\.sh'/,
    });
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
