/**
 * The real program with `tls.enabled: true, tls.source: secrets` on a real control plane and the
 * process kubelet: the test makes a CA and the server, peer and client certificates (TLS from
 * cert-manager is certManager.test.ts), stores them as kubernetes.io/tls Secrets, then
 * creates one member and scales to three. The pods become Ready (probes on the plain-http metrics
 * port), the provider reaches the members through port-forward (pods/portforward to the process
 * kubelet) over mutual TLS, each verified by its DNS name (the server certificate names no IP
 * address, so the forward's 127.0.0.1 cannot match), clients without a certificate
 * or without TLS are refused, and a renewed server certificate (same CA) written into its Secret is
 * what new connections get, without a restart. Control plane on 127.6.0.1, pods on 127.6.2.x.
 */
import * as k8s from "@kubernetes/client-node";
import * as assert from "node:assert/strict";
import * as tls from "node:tls";
import { after, before, test } from "node:test";
import {
  PROVIDER_COMMON_NAME,
  peerDnsNames,
  serverDnsNames,
} from "../../../components/builders/certificates";
import { DEFAULT_CLUSTER_DOMAIN } from "../../../model/config/settings";
import { clusterIdentity, memberHost } from "../../../model/naming";
import type { ClientTLS } from "../../../providers/etcd/security";
import {
  type IssuedCertificate,
  type TestCA,
  createTestCA,
  serialOf,
} from "../../support/certificates";
import { withEtcd } from "../clusterState";
import { until } from "../support/poll";
import { Scenario } from "./harness";

const NAMESPACE = "e2e-tls";
const SECRETS = { server: "etcd-server-tls", peer: "etcd-peer-tls", client: "etcd-client-tls" };
/** The identity the certificates are issued for (the scenario's, known before it starts). */
const CLUSTER = clusterIdentity({
  clusterName: "etcd",
  namespace: NAMESPACE,
  clusterDomain: DEFAULT_CLUSTER_DOMAIN,
  tls: true,
});

let scenario: Scenario;
let ca: TestCA;
let client: ClientTLS;
let server: IssuedCertificate;

const asClientTLS = (issued: IssuedCertificate): ClientTLS => ({
  ca: Buffer.from(issued.ca),
  cert: Buffer.from(issued.cert),
  key: Buffer.from(issued.key),
});

function tlsSecret(name: string, issued: IssuedCertificate): k8s.V1Secret {
  const base64 = (text: string) => Buffer.from(text).toString("base64");
  return {
    metadata: { name, namespace: NAMESPACE },
    type: "kubernetes.io/tls",
    data: {
      "tls.crt": base64(issued.cert),
      "tls.key": base64(issued.key),
      "ca.crt": base64(issued.ca),
    },
  };
}

/** Serial numbers as Node's TLS reports them: upper-case hex without leading zeros. */
const serialNumber = (pem: string): string => serialOf(pem).toUpperCase().replace(/^0+/, "");

/** The certificate a new TLS connection to a member's client port is served. */
function servedSerial(podIP: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: podIP,
      port: 2379,
      ca: client.ca,
      cert: client.cert,
      key: client.key,
      servername: memberHost(CLUSTER, 0),
      ALPNProtocols: ["h2"],
    });
    socket.once("secureConnect", () => {
      const serial = socket.getPeerCertificate().serialNumber.replace(/^0+/, "");
      socket.end();
      resolve(serial);
    });
    socket.once("error", reject);
  });
}

before(async () => {
  ca = await createTestCA("etcd-k8s e2e CA");
  server = await ca.issue({
    commonName: `etcd-client.${NAMESPACE}.svc`,
    dnsNames: serverDnsNames(CLUSTER),
    usages: ["server", "client"],
  });
  // etcd checks a peer's certificate against the connection's source address, which for loopback
  // pod IPs is 127.0.0.1 (in a real cluster: the pod IP, found by reverse lookup of the peer names).
  const peer = await ca.issue({
    commonName: `etcd-peer.${NAMESPACE}.svc`,
    dnsNames: peerDnsNames(CLUSTER),
    ipAddresses: ["127.0.0.1"],
    usages: ["server", "client"],
  });
  const provider = await ca.issue({ commonName: PROVIDER_COMMON_NAME, usages: ["client"] });
  client = asClientTLS(provider);
  scenario = await Scenario.start({
    name: "tls",
    namespace: NAMESPACE,
    host: "127.6.0.1",
    podNetwork: "127.6.2",
    settings: { tls: { enabled: true, source: "secrets", secrets: SECRETS } },
    clientTLS: client,
  });
  const core = scenario.kubeConfig.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  for (const [name, issued] of [
    [SECRETS.server, server],
    [SECRETS.peer, peer],
    [SECRETS.client, provider],
  ] as const)
    await core.createNamespacedSecret({ namespace: NAMESPACE, body: tlsSecret(name, issued) });
});

after(() => scenario?.stop());

async function scaleStep(step: string, size: number) {
  const result = await scenario.up(step, { size });
  assert.deepEqual(
    (result.outputs.memberStatus as { name: string; peerURL: string }[]).map((m) => [
      m.name,
      m.peerURL,
    ]),
    Array.from({ length: size }, (_, k) => [`etcd-${k}`, `https://${memberHost(CLUSTER, k)}:2380`]),
  );
  assert.equal(
    result.outputs.clientEndpoint,
    `https://etcd-client.${NAMESPACE}.svc.cluster.local:2379`,
  );
  const text = JSON.stringify(result.outputs);
  assert.doesNotMatch(text, /PRIVATE KEY|BEGIN CERTIFICATE/, "no key material in the outputs");
  return scenario.converged(step, size);
}

test("create with size 1: the pod mounts the Secrets, its probes pass, the provider speaks TLS", async () => {
  await scaleStep("create with size 1 over TLS", 1);
});

test("1 → 3 over TLS: learners join over https peer URLs", async () => {
  const state = await scaleStep("1 → 3 over TLS", 3);
  assert.ok(
    state.pods.every((p) => p.ready && p.restarts === 0),
    "Ready without restarts",
  );
});

test("a client without a certificate, or without TLS, is refused", async () => {
  const [pod] = (await scenario.state()).pods;
  await assert.rejects(
    withEtcd(pod.podIP!, (c) => c.get("e2e/0").string(), {
      credentials: { ca: client.ca },
      serverName: memberHost(CLUSTER, 0),
    }),
    /certificate required/,
  );
  await assert.rejects(
    withEtcd(pod.podIP!, (c) => c.get("e2e/0").string()),
    /UNAVAILABLE/,
  );
  assert.equal(
    await withEtcd(pod.podIP!, (c) => c.get("e2e/0").string(), scenario.etcdTLS),
    "create with size 1 over TLS",
  );
});

test("a renewed server certificate in the Secret is served to new connections, without a restart", async () => {
  const core = scenario.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const pods = (await scenario.state()).pods;
  const before = await servedSerial(pods[0].podIP!);
  assert.equal(before, serialNumber(server.cert));
  const renewed = await ca.issue({
    commonName: `etcd-client.${NAMESPACE}.svc`,
    dnsNames: serverDnsNames(CLUSTER),
    usages: ["server", "client"],
  });
  await core.replaceNamespacedSecret({
    name: SECRETS.server,
    namespace: NAMESPACE,
    body: tlsSecret(SECRETS.server, renewed),
  });
  const wanted = serialNumber(renewed.cert);
  for (const pod of pods)
    await until(
      `${pod.name} to serve the renewed certificate`,
      async () => {
        const serial = await servedSerial(pod.podIP!);
        if (serial !== wanted) throw new Error(`still serves ${serial}`);
        return true;
      },
      { timeoutMs: 60_000, maxIntervalMs: 1_000 },
    );
  const state = await scenario.converged("after the certificate renewal", 3);
  assert.ok(
    state.pods.every((p) => p.restarts === 0),
    "no member restarted",
  );
});
