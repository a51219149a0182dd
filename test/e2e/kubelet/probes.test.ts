import type { V1Container } from "@kubernetes/client-node";
import * as assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { ProbeWorker, unsupportedProbe } from "./probes";

const HOST = "127.1.0.9";

test("a readiness probe on a named port turns ready, then unready after failureThreshold failures", async () => {
  let healthy = true;
  const server = http.createServer((request, response) => {
    response.statusCode = request.url === "/readyz" && healthy ? 200 : 503;
    response.end();
  });
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const port = (server.address() as AddressInfo).port;
  const container: V1Container = {
    name: "etcd",
    ports: [{ name: "metrics", containerPort: port }],
  };
  const results: boolean[] = [];
  let notify = () => {};
  const worker = new ProbeWorker(
    "readiness",
    { httpGet: { path: "/readyz", port: "metrics" }, periodSeconds: 1, failureThreshold: 2 },
    container,
    HOST,
    (ok) => {
      results.push(ok);
      notify();
    },
  );
  const next = () => new Promise<void>((resolve) => (notify = resolve));
  try {
    const first = next();
    worker.start();
    await first;
    assert.deepEqual(results, [true]);
    healthy = false;
    await next();
    assert.deepEqual(results, [true, false]);
  } finally {
    worker.stop();
    server.close();
  }
});

test("exec probes cannot run in the process kubelet", () => {
  const container: V1Container = { name: "c", livenessProbe: { exec: { command: ["true"] } } };
  assert.match(unsupportedProbe(container) ?? "", /liveness probe: only httpGet and tcpSocket/);
});
