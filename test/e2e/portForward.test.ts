/**
 * `access: port-forward` for real: `pods/portforward` through kube-apiserver to the process
 * kubelet's kubelet-streaming (Kubernetes' own port-forward server) and on to real etcd pods.
 *
 * - client-node's PortForward (the WebSocket path, v4.channel.k8s.io) reaches etcd;
 * - the SPDY path kubectl takes is granted by the API server and the kubelet (the upgrade
 *   handshake, then a whole forward with client-go's SPDY client, test/e2e/kube/spdy-port-forward);
 * - the provider's own endpoint (the Workload's `clientEndpoint` with `access: port-forward`)
 *   carries etcd calls, and with TLS on verifies each member by its DNS name over mutual TLS;
 * - killing kubelet-streaming while a call is in flight fails that call promptly with an error,
 *   and once the kubelet has started it again the same endpoint and new ones work; a membership
 *   call (the provider's EtcdAdmin) broken that way is retried after reading the member list, or
 *   refused, and never applied twice.
 *
 * Control plane and node on 127.40.0.1, pods on 127.40.1.x.
 */
import * as k8s from "@kubernetes/client-node";
import { Etcd3 } from "etcd3";
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import * as tls from "node:tls";
import { after, before, test } from "node:test";
import { PROVIDER_COMMON_NAME, serverDnsNames } from "../../components/builders/certificates";
import { type ClusterIdentity, memberHost } from "../../model/naming";
import { EtcdAdmin } from "../../providers/etcd/admin";
import { createKubernetesWorkload } from "../../providers/kubernetes/kubernetesWorkload";
import type { Workload } from "../../providers/membership/types";
import { type IssuedCertificate, createTestCA } from "../support/certificates";
import { type ControlPlane, startControlPlane } from "./controlPlane";
import { bootstrapJoinConfigMap, componentObjects } from "./fixtures/etcdStatefulSet";
import { type Kubelet, startKubelet } from "./kubelet";
import { serverSideApply } from "./support/apply";
import { kubeBinaries } from "./support/repo";
import { until } from "./support/poll";

const HOST = "127.40.0.1";
const PLAIN: ClusterIdentity = {
  name: "etcd",
  namespace: "e2e-portforward",
  clusterDomain: "cluster.local",
};
const SECURE: ClusterIdentity = { ...PLAIN, name: "secure", tls: true };
const SECRETS = {
  server: "secure-server-tls",
  peer: "secure-peer-tls",
  client: "secure-client-tls",
};
const WAIT = { timeoutMs: 120_000, maxIntervalMs: 500 };

let controlPlane: ControlPlane | undefined;
let kubelet: Kubelet | undefined;
let config: k8s.KubeConfig;
let core: k8s.CoreV1Api;
let provider: IssuedCertificate;
const workloads: Workload[] = [];

function workloadFor(c: ClusterIdentity, access: "port-forward" | "pod-ip"): Workload {
  const workload = createKubernetesWorkload({
    clusterName: c.name,
    namespace: c.namespace,
    clusterDomain: c.clusterDomain,
    access,
    kubeconfig: controlPlane!.kubeconfig,
    ...(c.tls ? { tls: { clientSecret: SECRETS.client } } : {}),
  });
  workloads.push(workload);
  return workload;
}

function tlsSecret(name: string, issued: IssuedCertificate): k8s.V1Secret {
  const base64 = (text: string) => Buffer.from(text).toString("base64");
  return {
    metadata: { name, namespace: PLAIN.namespace },
    type: "kubernetes.io/tls",
    data: {
      "tls.crt": base64(issued.cert),
      "tls.key": base64(issued.key),
      "ca.crt": base64(issued.ca),
    },
  };
}

const isReady = (pod: k8s.V1Pod) =>
  pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

before(async () => {
  controlPlane = await startControlPlane({ host: HOST });
  kubelet = await startKubelet({
    kubeconfig: controlPlane.kubeconfig,
    kubeletCA: controlPlane.kubeletCA,
    nodeName: "portforward-kubelet",
    nodeIP: HOST,
    podIPRange: { first: "127.40.1.1", last: "127.40.1.254" },
    crashLoopBackoff: { initialMs: 500, maxMs: 2_000 },
  });
  config = new k8s.KubeConfig();
  config.loadFromString(controlPlane.kubeconfig);
  core = config.makeApiClient(k8s.CoreV1Api);

  const ca = await createTestCA("etcd-k8s port-forward test CA");
  // No IP address in the server certificate: over a port-forward only the DNS name can match.
  const server = await ca.issue({
    commonName: `secure-client.${PLAIN.namespace}.svc`,
    dnsNames: serverDnsNames(SECURE),
    usages: ["server", "client"],
  });
  // etcd checks a peer's certificate against the connection's source address (127.0.0.1 here).
  const peer = await ca.issue({
    commonName: `secure-peer.${PLAIN.namespace}.svc`,
    dnsNames: serverDnsNames(SECURE),
    ipAddresses: ["127.0.0.1"],
    usages: ["server", "client"],
  });
  provider = await ca.issue({ commonName: PROVIDER_COMMON_NAME, usages: ["client"] });

  const plain = await componentObjects(PLAIN);
  const secure = await componentObjects(SECURE, "Delete", {
    enabled: true,
    source: "secrets",
    secrets: SECRETS,
  });
  await serverSideApply(config, [plain.namespace]);
  for (const [name, issued] of [
    [SECRETS.server, server],
    [SECRETS.peer, peer],
    [SECRETS.client, provider],
  ] as const)
    await core.createNamespacedSecret({
      namespace: PLAIN.namespace,
      body: tlsSecret(name, issued),
    });
  await serverSideApply(config, [
    plain.peerService,
    plain.statefulSet,
    bootstrapJoinConfigMap(PLAIN),
    secure.peerService,
    secure.statefulSet,
    bootstrapJoinConfigMap(SECURE),
  ]);
  for (const name of ["etcd-0", "secure-0"])
    await until(
      `${name} Ready`,
      async () =>
        isReady(await core.readNamespacedPod({ name, namespace: PLAIN.namespace }))
          ? true
          : undefined,
      WAIT,
    );
});

after(async () => {
  for (const workload of workloads) await workload.close();
  await kubelet?.stop();
  await controlPlane?.stop();
});

/** A local listener relaying each connection through client-node's PortForward (WebSocket). */
async function clientNodeRelay(pod: string, port: number, protocols: string[]) {
  const forward = new k8s.PortForward(config);
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.on("error", () => socket.destroy());
    forward.portForward(PLAIN.namespace, pod, [port], socket, null, socket).then(
      (ws) => {
        if (typeof ws === "function") throw new Error("unexpected restartable tunnel");
        protocols.push(ws.protocol);
        ws.on("close", () => socket.destroy());
        socket.on("close", () => ws.close());
      },
      () => socket.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.40.0.2", resolve));
  const address = server.address() as net.AddressInfo;
  return {
    url: `http://127.40.0.2:${address.port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** GET on a new connection (no keep-alive); resolves the body. */
function getOnce(url: string, options: https.RequestOptions = {}): Promise<string> {
  const transport = url.startsWith("https:") ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.get(url, { ...options, agent: false, timeout: 10_000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve(body));
      res.on("error", reject);
    });
    request.on("timeout", () => request.destroy(new Error(`no answer from ${url}`)));
    request.on("error", reject);
  });
}

test("client-node's PortForward (WebSocket) reaches etcd through kube-apiserver and the kubelet", async () => {
  const node = await core.readNode({ name: "portforward-kubelet" });
  assert.equal(node.status?.daemonEndpoints?.kubeletEndpoint?.Port, kubelet!.streaming!.port);
  const protocols: string[] = [];
  const relay = await clientNodeRelay("etcd-0", 2379, protocols);
  try {
    const version = JSON.parse(await getOnce(`${relay.url}/version`)) as { etcdserver: string };
    assert.match(version.etcdserver, /^3\.5\./);
    assert.deepEqual(protocols, ["v4.channel.k8s.io"]);
  } finally {
    await relay.close();
  }
});

test("the SPDY path (kubectl's) is granted by the API server and the kubelet, and carries data", async () => {
  // The upgrade kubectl asks for; the 101 comes from kubelet-streaming through the API server.
  const url = new URL(
    `${controlPlane!.server}/api/v1/namespaces/${PLAIN.namespace}/pods/etcd-0/portforward`,
  );
  const options: https.RequestOptions = {
    method: "POST",
    headers: {
      Connection: "Upgrade",
      Upgrade: "SPDY/3.1",
      "X-Stream-Protocol-Version": "portforward.k8s.io",
    },
  };
  await config.applyToHTTPSOptions(options);
  const granted = await new Promise<string>((resolve, reject) => {
    const request = https.request(url, options);
    request.on("upgrade", (response, socket) => {
      socket.destroy();
      resolve(`${response.statusCode} ${String(response.headers["x-stream-protocol-version"])}`);
    });
    request.on("response", (response) => resolve(`${response.statusCode}`));
    request.on("error", reject);
    request.end();
  });
  assert.equal(granted, "101 portforward.k8s.io");

  // A whole SPDY forward, with client-go's port-forward client (kubectl's code without kubectl).
  const child = spawn(kubeBinaries().spdyPortForward, [
    `--kubeconfig=${controlPlane!.kubeconfigPath}`,
    `--namespace=${PLAIN.namespace}`,
    "--pod=etcd-0",
    "--address=127.40.0.3",
    "--port=2379",
  ]);
  try {
    const port = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const match = /127\.40\.0\.3:(\d+) ->/.exec(out);
        if (match) resolve(match[1]);
      });
      child.once("exit", (code) => reject(new Error(`spdy-port-forward exited ${code}: ${out}`)));
    });
    const version = JSON.parse(await getOnce(`http://127.40.0.3:${port}/version`)) as {
      etcdserver: string;
    };
    assert.match(version.etcdserver, /^3\.5\./);
  } finally {
    child.kill();
  }
});

test("the provider's port-forward endpoint carries etcd calls; per-connection cost against pod-ip", async () => {
  const forwarded = await workloadFor(PLAIN, "port-forward").clientEndpoint(0);
  const direct = await workloadFor(PLAIN, "pod-ip").clientEndpoint(0);
  assert.match(forwarded.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const client = new Etcd3({
    hosts: forwarded.url,
    defaultCallOptions: () => ({ deadline: Date.now() + 10_000 }),
  });
  try {
    await client.put("forwarded").value("through pods/portforward");
    assert.equal(await client.get("forwarded").string(), "through pods/portforward");
    const members = await client.cluster.memberList({});
    assert.deepEqual(
      members.members.map((m) => m.name),
      ["etcd-0"],
    );
  } finally {
    client.close();
  }
  // Each new connection through a forward is a new pods/portforward request (WebSocket upgrade at
  // the API server, a pod lookup and a dial at the kubelet): the cost is per connection.
  const median = async (url: string) => {
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const start = performance.now();
      await getOnce(`${url}/version`);
      times.push(performance.now() - start);
    }
    return times.sort((a, b) => a - b)[10];
  };
  const viaPodIP = await median(direct.url);
  const viaForward = await median(forwarded.url);
  console.log(
    `[timing] new connection + GET /version, median of 20: pod-ip ${viaPodIP.toFixed(1)} ms, port-forward ${viaForward.toFixed(1)} ms`,
  );
});

test("TLS through the forward: mutual TLS, each member verified by its DNS name", async () => {
  const endpoint = await workloadFor(SECURE, "port-forward").clientEndpoint(0);
  assert.match(endpoint.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(endpoint.serverName, memberHost(SECURE, 0));
  const credentials = {
    rootCertificate: Buffer.from(provider.ca),
    certChain: Buffer.from(provider.cert),
    privateKey: Buffer.from(provider.key),
  };
  const client = new Etcd3({
    hosts: endpoint.url,
    credentials,
    grpcOptions: { "grpc.ssl_target_name_override": endpoint.serverName! },
    defaultCallOptions: () => ({ deadline: Date.now() + 10_000 }),
  });
  try {
    await client.put("secure").value("mutual TLS through pods/portforward");
    assert.equal(await client.get("secure").string(), "mutual TLS through pods/portforward");
  } finally {
    client.close();
  }
  const { port } = new URL(endpoint.url);
  const handshake = (servername: string, withCert: boolean) =>
    new Promise<string>((resolve, reject) => {
      const socket = tls.connect({
        host: "127.0.0.1",
        port: Number(port),
        ca: provider.ca,
        ...(withCert ? { cert: provider.cert, key: provider.key } : {}),
        servername,
        ALPNProtocols: ["http/1.1"],
      });
      socket.once("secureConnect", () => {
        socket.write("GET /version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      });
      let data = "";
      socket.on("data", (chunk: Buffer) => (data += chunk.toString()));
      socket.once("end", () => resolve(data));
      socket.once("error", reject);
    });
  // The member's DNS name is verified, not the loopback address the forward listens on.
  assert.match(await handshake(memberHost(SECURE, 0), true), /etcdserver/);
  await assert.rejects(handshake("secure-0.elsewhere.test", true), /altnames/);
  // etcd requires the client certificate (client-cert-auth).
  await assert.rejects(
    getOnce(`${endpoint.url}/version`, { ca: provider.ca, servername: memberHost(SECURE, 0) }),
    /certificate required|socket hang up|ECONNRESET|bad certificate/,
  );
});

test("a forward broken mid call (kubelet-streaming killed) fails that call promptly; the restarted server forwards again", async (t) => {
  const workload = workloadFor(PLAIN, "port-forward");
  const endpoint = await workload.clientEndpoint(0);
  const client = new Etcd3({
    hosts: endpoint.url,
    defaultCallOptions: () => ({ deadline: Date.now() + 30_000 }),
  });
  try {
    await client.put("before-break").value("1");
    // Hold a call in flight: with etcd paused the put waits on the forwarded connection.
    kubelet!.pause(PLAIN.namespace, "etcd-0");
    const started = Date.now();
    const inFlight = client.put("during-break").value("2");
    const outcome = inFlight.then(
      () => "succeeded",
      (error: Error) => error,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    const streaming = kubelet!.streaming!;
    const restarts = streaming.restarts;
    process.kill(streaming.pid()!, "SIGKILL");
    const result = await outcome;
    const failedAfterMs = Date.now() - started;
    kubelet!.resume(PLAIN.namespace, "etcd-0");
    assert.ok(result instanceof Error, `the call in flight failed (it ${String(result)})`);
    t.diagnostic(`the call in flight failed after ${failedAfterMs} ms: ${result.message}`);
    assert.match(result.message, /UNAVAILABLE|Connection dropped|closed|reset/i);
    assert.ok(
      failedAfterMs < 10_000,
      `failed within 10 s, not at the deadline (${failedAfterMs} ms)`,
    );

    await streaming.serving();
    assert.equal(streaming.restarts, restarts + 1, "the kubelet started it again");
    // The same endpoint (each connection is a new forward) and the same client work again.
    await until(
      "a put through the same endpoint after the restart",
      async () => {
        await client.put("after-break").value("3");
        return true;
      },
      { timeoutMs: 30_000, maxIntervalMs: 500 },
    );
    // A put in flight may or may not have been applied by etcd: the caller must read to know,
    // which is what the provider does after a failed membership call.
    const fresh = await workloadFor(PLAIN, "port-forward").clientEndpoint(0);
    const again = new Etcd3({
      hosts: fresh.url,
      defaultCallOptions: () => ({ deadline: Date.now() + 10_000 }),
    });
    try {
      assert.equal(await again.get("after-break").string(), "3");
      assert.equal(await again.get("before-break").string(), "1");
    } finally {
      again.close();
    }
  } finally {
    client.close();
  }
});

test("a membership call through a forward broken mid call is retried after a member-list check or refused, never applied twice", async (t) => {
  const endpoint = await workloadFor(PLAIN, "port-forward").clientEndpoint(0);
  // The provider's own etcd adapter: no retries inside the client, deadlines on every call.
  const admin = new EtcdAdmin();
  const peerURL = "http://etcd-9.portforward.invalid:2380";
  try {
    assert.equal((await admin.memberList(endpoint.url)).members.length, 1);
    // etcd paused: the add is sent through the forward and waits there.
    kubelet!.pause(PLAIN.namespace, "etcd-0");
    const outcome = admin.addLearner([endpoint.url], peerURL).then(
      (member) => member,
      (error: Error) => error,
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    process.kill(kubelet!.streaming!.pid()!, "SIGKILL");
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    kubelet!.resume(PLAIN.namespace, "etcd-0");
    const result = await outcome;
    await kubelet!.streaming!.serving();
    const members = await until(
      "the member list after the broken add",
      async () => (await admin.memberList(endpoint.url)).members,
      { timeoutMs: 30_000, maxIntervalMs: 500 },
    );
    const added = members.filter((m) => m.peerURLs.includes(peerURL));
    t.diagnostic(
      `addLearner ${result instanceof Error ? `failed: ${result.message}` : `returned ${result.id}`}; learners with that peer URL: ${added.length}`,
    );
    assert.ok(added.length <= 1, "never added twice");
    if (result instanceof Error) {
      assert.match(
        result.message,
        /^etcd: add learner http:\/\/etcd-9\.portforward\.invalid:2380 failed after \d+ attempt\(s\): /,
      );
    } else {
      assert.deepEqual(
        added.map((m) => m.id),
        [result.id],
        "the member it returned is the one in the list",
      );
    }
    for (const m of added) await admin.remove(endpoint.url, m.id);
  } finally {
    admin.close();
  }
});
