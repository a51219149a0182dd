/**
 * The staging stack (Pulumi.staging.yaml: TLS from cert-manager through the Issuer etcd-ca, auth,
 * a NetworkPolicy) with cert-manager itself running: its CRDs and its controller
 * (toolchain/cert-manager-controller, v1.21.2) against the local control plane. The test makes a
 * CA, stores it as the Secret of a CA Issuer named etcd-ca, and sets a secret root password; then
 * `pulumi up` at sizes 1 → 3 → 5 → 3 with a continuous writer over mutual TLS: the member and
 * provider certificates are the ones cert-manager issued (its annotations, signed by the test's
 * CA, what the members serve) and every acknowledged write is kept. Then a root password change and
 * a scale step after it. Namespace, size, storage and resources are the scenario's (one small
 * node). Control plane on 127.31.0.1, pods on 127.31.1.x.
 */
import * as k8s from "@kubernetes/client-node";
import * as assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import * as path from "node:path";
import * as tls from "node:tls";
import { after, before, test } from "node:test";
import { Etcd3 } from "etcd3";
import { DEFAULT_CLUSTER_DOMAIN } from "../../../model/config/settings";
import { clusterIdentity, memberHost } from "../../../model/naming";
import type { ClientTLS } from "../../../providers/etcd/security";
import { type TestCA, createTestCA } from "../../support/certificates";
import { HostsFile } from "../kubelet/hosts";
import { stackFileSettings } from "../pulumi/stack";
import type { StackSettings } from "../pulumi/stack";
import { repoRoot } from "../support/repo";
import { seconds } from "../support/times";
import { until } from "../support/poll";
import { type Watch, watched } from "../support/watchedRun";
import { Scenario } from "./harness";

const NAMESPACE = "e2e-cert-manager";
const ISSUER = "etcd-ca";
const CA_SECRET = "etcd-ca-key-pair";
const SECRETS = ["etcd-server-tls", "etcd-peer-tls", "etcd-client-tls"];
const PASSWORDS = ["first-cm-Root-Pa55word", "second-cm-Root-Pa55word"];
const CLUSTER = clusterIdentity({
  clusterName: "etcd",
  namespace: NAMESPACE,
  clusterDomain: DEFAULT_CLUSTER_DOMAIN,
  tls: true,
});

let scenario: Scenario;
let watch: Watch;
let ca: TestCA;
/** The checks' client certificate: CN root, which etcd takes as the user when auth is on. */
let rootClient: ClientTLS;
/** A certificate that names no etcd user: for the password checks. */
let anonymousClient: ClientTLS;
/**
 * Here every pod's process shares the host's network, so a member's peer connections come from
 * 127.0.0.1 (on a cluster: from its pod IP, which the peer names resolve to), and etcd checks a
 * peer's certificate against that address, forward and reverse. The certificate cert-manager
 * issues names `*.etcd-peer.<namespace>.svc...` and no IP; so 127.0.0.1 gets a reverse name under
 * that wildcard, for this scenario only, in a block of /etc/hosts of its own.
 */
const loopbackName = new HostsFile("/etc/hosts", "cert-manager-loopback-peer");

const asClientTLS = (issued: { ca: string; cert: string; key: string }): ClientTLS => ({
  ca: Buffer.from(issued.ca),
  cert: Buffer.from(issued.cert),
  key: Buffer.from(issued.key),
});

const base64 = (text: string) => Buffer.from(text).toString("base64");

/** Pulumi.staging.yaml, with the scenario's namespace, size, storage and resources. */
function stagingSettings(): StackSettings {
  const staging = stackFileSettings(path.join(repoRoot(), "Pulumi.staging.yaml"));
  for (const key of ["size", "namespace", "storage", "resources"]) delete staging[key];
  return staging;
}

before(async () => {
  ca = await createTestCA("etcd-k8s e2e cert-manager CA");
  rootClient = asClientTLS(await ca.issue({ commonName: "root", usages: ["client"] }));
  anonymousClient = asClientTLS(
    await ca.issue({ commonName: "e2e-password-check", usages: ["client"] }),
  );
  scenario = await Scenario.start({
    name: "cert-manager",
    namespace: NAMESPACE,
    host: "127.31.0.1",
    podNetwork: "127.31.1",
    settings: stagingSettings(),
    clientTLS: rootClient,
    certManager: true,
    // The staging file names no snapshot directory: the safety snapshots go to the scenario's own.
    localSnapshots: true,
  });
  const tlsSettings = scenario.stack.config.tls as { source?: string; issuer?: { name?: string } };
  assert.equal(tlsSettings.source, "cert-manager", "the staging stack takes TLS from cert-manager");
  assert.equal(tlsSettings.issuer?.name, ISSUER);
  assert.equal((scenario.stack.config.auth as { enabled?: boolean }).enabled, true);
  process.on("exit", () => loopbackName.restoreNow());
  await loopbackName.write([
    { ip: "127.0.0.1", names: [`loopback-source.etcd-peer.${NAMESPACE}.svc.cluster.local`] },
  ]);
  const core = scenario.kubeConfig.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  await core.createNamespacedSecret({
    namespace: NAMESPACE,
    body: {
      metadata: { name: CA_SECRET, namespace: NAMESPACE },
      type: "kubernetes.io/tls",
      data: { "tls.crt": base64(ca.cert), "tls.key": base64(ca.key) },
    },
  });
  const custom = scenario.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  await custom.createNamespacedCustomObject({
    group: "cert-manager.io",
    version: "v1",
    namespace: NAMESPACE,
    plural: "issuers",
    body: {
      apiVersion: "cert-manager.io/v1",
      kind: "Issuer",
      metadata: { name: ISSUER, namespace: NAMESPACE },
      spec: { ca: { secretName: CA_SECRET } },
    },
  });
  await until(
    "cert-manager to mark the CA Issuer Ready",
    async () => {
      const issuer = (await custom.getNamespacedCustomObject({
        group: "cert-manager.io",
        version: "v1",
        namespace: NAMESPACE,
        plural: "issuers",
        name: ISSUER,
      })) as { status?: { conditions?: { type: string; status: string }[] } };
      return issuer.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")
        ? true
        : undefined;
    },
    { timeoutMs: 60_000, maxIntervalMs: 500 },
  );
  await scenario.stack.configSet("auth.rootPassword", PASSWORDS[0], { path: true, secret: true });
  watch = scenario.watch();
  watch.writer = scenario.startWriter("writer/");
});

after(async () => {
  await loopbackName.restore();
  await scenario?.stop();
});

/** The certificate a new TLS connection to a member's client port is served, as PEM. */
function servedCertificate(podIP: string): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: podIP,
      port: 2379,
      ca: rootClient.ca,
      cert: rootClient.cert,
      key: rootClient.key,
      servername: memberHost(CLUSTER, 0),
      ALPNProtocols: ["h2"],
    });
    socket.once("secureConnect", () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      resolve(new X509Certificate(raw));
    });
    socket.once("error", reject);
  });
}

/** Every Secret the component's Certificates name was written by cert-manager from the CA Issuer. */
async function assertIssuedByCertManager(): Promise<Map<string, string>> {
  const core = scenario.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const caCert = new X509Certificate(ca.cert);
  const serials = new Map<string, string>();
  for (const name of SECRETS) {
    const secret = await core.readNamespacedSecret({ name, namespace: NAMESPACE });
    const annotations = secret.metadata?.annotations ?? {};
    assert.equal(annotations["cert-manager.io/issuer-name"], ISSUER, `${name}: issuer annotation`);
    assert.equal(annotations["cert-manager.io/issuer-kind"], "Issuer", `${name}: issuer kind`);
    assert.equal(annotations["cert-manager.io/certificate-name"], name.replace(/-tls$/, ""));
    const data = secret.data ?? {};
    assert.equal(
      Buffer.from(data["ca.crt"]!, "base64").toString().trim(),
      ca.cert.trim(),
      `${name}: ca.crt is the CA's`,
    );
    const leaf = new X509Certificate(Buffer.from(data["tls.crt"]!, "base64"));
    assert.ok(leaf.checkIssued(caCert) && leaf.verify(caCert.publicKey), `${name}: CA-signed`);
    serials.set(name, leaf.serialNumber);
  }
  return serials;
}

/**
 * Writes and reads a key (outside the step keys' `e2e/`) as root with `password` on etcd-0, by its DNS name: etcd3 makes its
 * authenticate call without the client's gRPC options, so a name override would not reach it.
 */
async function asRoot(password: string): Promise<void> {
  const client = new Etcd3({
    hosts: `https://${memberHost(CLUSTER, 0)}:2379`,
    credentials: {
      rootCertificate: anonymousClient.ca,
      certChain: anonymousClient.cert,
      privateKey: anonymousClient.key,
    },
    auth: { username: "root", password },
  });
  try {
    await client.put("password-check/cert-manager").value(password.length.toString());
    assert.equal(
      await client.get("password-check/cert-manager").string(),
      password.length.toString(),
    );
  } finally {
    client.close();
  }
}

async function scaleStep(step: string, size: number): Promise<void> {
  const result = await watched(watch, step, () => scenario.up(step, { size }));
  const status = result.outputs.memberStatus as { name: string; peerURL: string; role: string }[];
  assert.deepEqual(
    status.map((m) => [m.name, m.peerURL, m.role]),
    Array.from({ length: size }, (_, k) => [
      `etcd-${k}`,
      `https://${memberHost(CLUSTER, k)}:2380`,
      "voter",
    ]),
  );
  const text = JSON.stringify(result.outputs);
  assert.doesNotMatch(text, /PRIVATE KEY|BEGIN CERTIFICATE/, "no key material in the outputs");
  for (const password of PASSWORDS) assert.ok(!text.includes(password), "no password shown");
  await scenario.converged(step, size);
}

test("create with size 1: cert-manager issues the three certificates, the member serves its own", async () => {
  await scaleStep("create with size 1", 1);
  const serials = await assertIssuedByCertManager();
  const podIP = scenario.kubernetes.kubelet.podIP(NAMESPACE, "etcd-0")!;
  const served = await servedCertificate(podIP);
  assert.equal(
    served.serialNumber,
    serials.get("etcd-server-tls"),
    "etcd-0 serves etcd-server-tls",
  );
  await asRoot(PASSWORDS[0]);
});

/** The resources a `pulumi preview --diff` would change, by their header lines. */
async function plannedChanges(step: string): Promise<string[]> {
  const result = await scenario.preview(step);
  return result.log.filter((l) => /^\s*\S+ \S+: \((?!same)[a-z-]+\)$/.test(l));
}

test("nothing changed: the preview plans nothing, the Certificates included", async () => {
  assert.deepEqual(await plannedChanges("no change after create"), []);
});

test("1 → 3 → 5 → 3 over mutual TLS with a continuous writer: every acknowledged write kept", async () => {
  await scaleStep("1 → 3", 3);
  await scaleStep("3 → 5", 5);
  await scaleStep("5 → 3", 3);
  const writer = watch.writer!;
  watch.writer = undefined;
  const counts = await scenario.assertWritesKept(writer, "1 → 3 → 5 → 3");
  assert.ok(counts.acknowledged > 0, "the writer got writes acknowledged");
  const state = await scenario.state();
  assert.ok(
    state.pods.every((p) => p.ready && p.restarts === 0),
    `Ready without restarts: ${JSON.stringify(state.pods.map((p) => [p.name, p.restarts]))}`,
  );
  await assertIssuedByCertManager();
});

test("a root password change, then a scale step authenticated with the new password", async () => {
  await scenario.stack.configSet("auth.rootPassword", PASSWORDS[1], { path: true, secret: true });
  await scenario.up("change the root password");
  await scaleStep("3 → 4 after the change", 4);
  await asRoot(PASSWORDS[1]);
  await assert.rejects(asRoot(PASSWORDS[0]), "the old password is refused");
});

/** Each member's restart count and its container's start time, by pod name. */
async function containerStarts(): Promise<Record<string, string>> {
  const core = scenario.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const pods = await core.listNamespacedPod({ namespace: NAMESPACE });
  return Object.fromEntries(
    pods.items.map((pod) => {
      const status = pod.status?.containerStatuses?.[0];
      const started = status?.state?.running?.startedAt;
      return [
        pod.metadata!.name!,
        `restarts ${status?.restartCount}, started ${started ? new Date(started).toISOString() : "-"}`,
      ];
    }),
  );
}

/** What `cmctl renew` does: the Issuing condition set on each Certificate, reason ManuallyTriggered. */
async function renewNow(): Promise<void> {
  const custom = scenario.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const ref = {
    group: "cert-manager.io",
    version: "v1",
    namespace: NAMESPACE,
    plural: "certificates",
  };
  for (const name of SECRETS.map((s) => s.replace(/-tls$/, ""))) {
    const certificate = (await custom.getNamespacedCustomObject({ ...ref, name })) as {
      metadata: { generation?: number };
      status?: { conditions?: Record<string, unknown>[] };
    };
    const conditions = (certificate.status?.conditions ?? []).filter((c) => c.type !== "Issuing");
    conditions.push({
      type: "Issuing",
      status: "True",
      reason: "ManuallyTriggered",
      message: "Certificate re-issuance manually triggered",
      lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      observedGeneration: certificate.metadata.generation,
    });
    await custom.replaceNamespacedCustomObjectStatus({
      ...ref,
      name,
      body: { ...certificate, status: { ...certificate.status, conditions } },
    });
  }
}

/** Waits until every member serves a certificate other than the one `before` names. */
async function servedOtherThan(
  what: string,
  before: Map<string, string>,
  timeoutMs: number,
): Promise<Map<string, string>> {
  const pods = (await scenario.state()).pods;
  const now = new Map<string, string>();
  for (const pod of pods)
    now.set(
      pod.name,
      await until(
        `${pod.name} to serve ${what}`,
        async () => {
          const serial = (await servedCertificate(pod.podIP!)).serialNumber;
          return serial !== before.get(pod.name) ? serial : undefined;
        },
        { timeoutMs, maxIntervalMs: 1_000 },
      ),
    );
  return now;
}

test("short-lived certificates: cert-manager renews them and the members serve each renewal without a restart", async () => {
  const pods = (await scenario.state()).pods;
  const served = new Map<string, string>();
  for (const pod of pods) served.set(pod.name, (await servedCertificate(pod.podIP!)).serialNumber);
  const starts = await containerStarts();
  const tlsSettings = scenario.stack.config.tls as Record<string, unknown>;
  // Renewed 90 s before the end of a 2-minute life: every 30 s.
  await scenario.up("tls.duration 2m, tls.renewBefore 90s", {
    tls: { ...tlsSettings, duration: "2m", renewBefore: "90s" },
  });
  // cert-manager applies a new duration at the next issuance; `cmctl renew` asks for one now by
  // setting the Issuing condition, as here.
  await renewNow();
  const started = Date.now();
  const reissued = await servedOtherThan(
    "the certificate issued for the new duration",
    served,
    90_000,
  );
  // Served over a connection verified against the test's CA, and the Secrets still carry
  // cert-manager's annotations: every member serves what cert-manager issued.
  await assertIssuedByCertManager();
  const leaf = await servedCertificate(pods[0].podIP!);
  const lifetimeMs = Date.parse(leaf.validTo) - Date.parse(leaf.validFrom);
  assert.ok(
    lifetimeMs <= 3 * 60_000,
    `a short-lived certificate (${leaf.validFrom} – ${leaf.validTo})`,
  );
  await servedOtherThan("the certificate renewed on schedule", reissued, 90_000);
  console.log(
    `[timing] cert-manager: re-issued, then renewed on schedule, each served by all ${pods.length} members, in ${seconds(Date.now() - started)}`,
  );
  assert.deepEqual(await containerStarts(), starts, "no member restarted");
  await scenario.converged("after renewals", pods.length);
});
