import * as assert from "node:assert/strict";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer, type Server, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { callKube, callKubeOrAbsent, type CallLimits } from "../../providers/kubernetes/kubeCall";
import { connectKube, type KubeContext } from "../../providers/kubernetes/kubeconfig";
import { kubeconfigText } from "./kubeconfigText";

const identity = { name: "etcd", namespace: "db", clusterDomain: "cluster.local" };
const quick: CallLimits = {
  attemptTimeoutMs: 300,
  retries: 2,
  initialRetryDelayMs: 10,
  maxRetryDelayMs: 20,
};

const readScale = (ctx: KubeContext) =>
  callKube(
    "read StatefulSet db/etcd/scale",
    ctx.server,
    (o) => ctx.apps.readNamespacedStatefulSetScale({ name: "etcd", namespace: "db" }, o),
    {},
    quick,
  );

const listen = <S extends Server | HttpServer>(server: S, host: string): Promise<number> =>
  new Promise((resolve) =>
    server.listen(0, host, () => resolve((server.address() as { port: number }).port)),
  );

describe("Kubernetes calls when the API cannot answer", () => {
  it("a refused connection is retried, then reported with the server and the object", async () => {
    const probe = createServer();
    const port = await listen(probe, "127.2.0.2");
    await new Promise((resolve) => probe.close(resolve));
    const ctx = connectKube(identity, kubeconfigText(`https://127.2.0.2:${port}`, "t"));
    await assert.rejects(readScale(ctx), (error: Error & { status?: number }) => {
      assert.equal(
        error.message,
        `read StatefulSet db/etcd/scale: cannot reach the Kubernetes API at https://127.2.0.2:${port}: fetch failed (ECONNREFUSED) (after 3 attempts)`,
      );
      assert.equal(error.status, undefined);
      return true;
    });
  });

  describe("a server that accepts connections and never answers", () => {
    const held = new Set<Socket>();
    const silent = createServer((socket) => held.add(socket));
    let port = 0;
    before(async () => {
      port = await listen(silent, "127.2.0.3");
    });
    after(async () => {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });

    it("each attempt ends at its deadline, then the call fails naming the deadline", async () => {
      const ctx = connectKube(identity, kubeconfigText(`https://127.2.0.3:${port}`, "t"));
      await assert.rejects(readScale(ctx), {
        message: `read StatefulSet db/etcd/scale: no answer from https://127.2.0.3:${port} within 300 ms (after 3 attempts)`,
      });
    });
  });
});

/**
 * The API server's transient refusals (429, 503) cannot be provoked on demand from a real
 * kube-apiserver, so this HTTP server answers with exactly those statuses and `Status` bodies.
 */
describe("Kubernetes calls when the API answers with an error status", () => {
  const answers: Array<{ status: number; body: object }> = [];
  let requests = 0;
  const api = createHttpServer((_request, response) => {
    requests += 1;
    const answer = answers.shift() ?? { status: 500, body: { message: "no answer scripted" } };
    response.writeHead(answer.status, { "content-type": "application/json" });
    response.end(JSON.stringify(answer.body));
  });
  let ctx: KubeContext;
  before(async () => {
    const port = await listen(api, "127.2.0.4");
    ctx = connectKube(identity, kubeconfigText(`http://127.2.0.4:${port}`, "t"));
  });
  after(() => new Promise<void>((resolve) => api.close(() => resolve())));

  const status = (code: number, reason: string, message: string) => ({
    status: code,
    body: { kind: "Status", apiVersion: "v1", status: "Failure", code, reason, message },
  });
  const scale = {
    status: 200,
    body: { kind: "Scale", apiVersion: "autoscaling/v1", spec: { replicas: 3 }, status: {} },
  };

  it("429 and 503 are retried until the answer comes", async () => {
    requests = 0;
    answers.push(
      status(429, "TooManyRequests", "slow down"),
      status(503, "ServiceUnavailable", "etcd leader changed"),
      scale,
    );
    const result = await readScale(ctx);
    assert.equal(result.spec?.replicas, 3);
    assert.equal(requests, 3);
  });

  it("a 403 is not retried, and the error gives the status and the server's message", async () => {
    requests = 0;
    answers.push(
      status(403, "Forbidden", 'statefulsets.apps "etcd" is forbidden: user cannot get'),
    );
    await assert.rejects(readScale(ctx), (error: Error & { status?: number }) => {
      assert.equal(
        error.message,
        'read StatefulSet db/etcd/scale: HTTP 403 Forbidden: statefulsets.apps "etcd" is forbidden: user cannot get',
      );
      assert.equal(error.status, 403);
      return true;
    });
    assert.equal(requests, 1);
  });

  it("a 404 means absent where the caller says so", async () => {
    answers.push(status(404, "NotFound", 'configmaps "etcd-join" not found'));
    const absent = await callKubeOrAbsent(
      "read ConfigMap db/etcd-join",
      ctx.server,
      (o) => ctx.core.readNamespacedConfigMap({ name: "etcd-join", namespace: "db" }, o),
      quick,
    );
    assert.equal(absent, undefined);
  });

  it("persistent 503s give up after the retries, counting the attempts", async () => {
    requests = 0;
    for (let i = 0; i < 3; i++) answers.push(status(503, "ServiceUnavailable", "still starting"));
    await assert.rejects(readScale(ctx), {
      message:
        "read StatefulSet db/etcd/scale: HTTP 503 ServiceUnavailable: still starting (after 3 attempts)",
    });
    assert.equal(requests, 3);
  });
});
