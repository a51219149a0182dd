/**
 * Every stack file of the project (Pulumi.dev.yaml, Pulumi.staging.yaml, Pulumi.prod.yaml),
 * previewed with the Pulumi CLI against the local control plane, as a user would before a first
 * `pulumi up`: `stack init`, the file's config, the root password with `pulumi config set --secret
 * --path` where auth is on, then `pulumi preview --diff`. cert-manager's CRDs are installed (from
 * its Go module), since the staging and prod stacks declare Certificates. The preview must plan the
 * whole cluster, show the password nowhere, and create nothing. Control plane on 127.25.0.1.
 */
import * as k8s from "@kubernetes/client-node";
import { loadAll } from "js-yaml";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { type LocalKubernetes, startLocalKubernetes } from "../localKubernetes";
import { membershipPreview } from "../pulumi/output";
import { PulumiStack, stackFileSettings } from "../pulumi/stack";
import { serverSideApply } from "../support/apply";
import { until } from "../support/poll";
import { certManagerCrdFiles, repoRoot } from "../support/repo";
import { seconds } from "../support/times";

let kubernetes: LocalKubernetes;
let kubeConfig: k8s.KubeConfig;
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "etcd-k8s-stack-files-"));
const PASSWORD = "stack-file-preview-Pa55";

before(async () => {
  kubernetes = await startLocalKubernetes({
    host: "127.25.0.1",
    nodeName: "stack-files-kubelet",
    podIPRange: { first: "127.25.1.1", last: "127.25.1.254" },
  });
  kubeConfig = new k8s.KubeConfig();
  kubeConfig.loadFromString(kubernetes.controlPlane.kubeconfig);
  const crds = certManagerCrdFiles().flatMap(
    (file) => loadAll(fs.readFileSync(file, "utf8")) as k8s.KubernetesObject[],
  );
  await serverSideApply(kubeConfig, crds);
  const extensions = kubeConfig.makeApiClient(k8s.ApiextensionsV1Api);
  await until(
    "cert-manager's CRDs to be established",
    async () => {
      const list = await extensions.listCustomResourceDefinition();
      const established = list.items.filter((crd) =>
        crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True"),
      );
      return established.length >= crds.length ? true : undefined;
    },
    { timeoutMs: 60_000, maxIntervalMs: 500 },
  );
});

after(async () => {
  await kubernetes?.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
});

async function previewStackFile(env: string, size: number): Promise<string[]> {
  const stack = new PulumiStack({
    // Not `env`: `stack init` would write into the project's own Pulumi.<env>.yaml.
    stack: `preview-${env}`,
    kubeconfigPath: kubernetes.controlPlane.kubeconfigPath,
    workDir: path.join(workDir, env),
    base: stackFileSettings(path.join(repoRoot(), `Pulumi.${env}.yaml`)),
    onLine: (line) => console.log(`  ${env}| ${line}`),
  });
  const auth = stack.config.auth as { enabled?: boolean } | undefined;
  if (auth?.enabled) {
    await stack.configSet("auth.rootPassword", PASSWORD, { path: true, secret: true });
    const file = fs.readFileSync(stack.configFile, "utf8");
    assert.doesNotMatch(file, new RegExp(PASSWORD), "the stack file holds the password encrypted");
    assert.match(file, /rootPassword:\s+secure: v1:/);
  }
  const result = await stack.preview();
  console.log(`[timing] stack-files: preview of ${env}: ${seconds(result.ms)}`);
  const text = result.log.join("\n");
  assert.doesNotMatch(text, new RegExp(PASSWORD), "the preview shows no password");
  const membership = membershipPreview(result.log);
  assert.match(membership[0] ?? "", /^\+ pulumi-nodejs:dynamic\/etcd:Membership: \(create\)$/);
  const members = Array.from({ length: size }, (_, k) => `[${k}]: "etcd-${k}"`);
  for (const line of [...members, `size           : ${size}`])
    assert.ok(membership.includes(line), `the preview of ${env} shows ${line}:\n${text}`);
  const namespace = String(stack.config.namespace);
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  const namespaces = (await core.listNamespace()).items.map((n) => n.metadata?.name);
  assert.ok(!namespaces.includes(namespace), `preview created nothing (no namespace ${namespace})`);
  return result.log;
}

test("dev: one member over plain http", async () => {
  const log = await previewStackFile("dev", 1);
  assert.ok(log.some((l) => l.includes('plan           : "bootstrap etcd-0"')));
});

test("staging: three members, cert-manager Certificates, a NetworkPolicy, auth", async () => {
  const log = await previewStackFile("staging", 3);
  const certificates = log.filter((l) =>
    /^\s*\+ kubernetes:cert-manager\.io\/v1:Certificate: \(create\)/.test(l),
  );
  assert.ok(certificates.length >= 3, `three Certificates planned:\n${log.join("\n")}`);
  assert.ok(log.some((l) => /kubernetes:networking.k8s.io\/v1:NetworkPolicy/.test(l)));
});

test("prod: five members", async () => {
  const log = await previewStackFile("prod", 5);
  assert.ok(
    log.some((l) =>
      l.includes("bootstrap etcd-0, then add etcd-1, etcd-2, etcd-3, etcd-4 as learners"),
    ),
  );
});
