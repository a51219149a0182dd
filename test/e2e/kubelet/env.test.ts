import type { V1Container, V1Pod } from "@kubernetes/client-node";
import * as assert from "node:assert/strict";
import { test } from "node:test";
import { type ConfigSources, ContainerConfigError, resolveEnvironment } from "./env";
import { serviceEnvironment } from "./serviceEnv";

const pod: V1Pod = {
  metadata: { name: "etcd-1", namespace: "db", uid: "u-1", labels: { app: "etcd" } },
  spec: { nodeName: "n1", containers: [] },
};
const addresses = { podIP: "127.1.1.2", hostIP: "127.1.0.1" };

function sources(configMaps: Record<string, Record<string, string>>): ConfigSources {
  return {
    configMap: (ns, name) =>
      ns === "db" && configMaps[name] ? { data: configMaps[name] } : undefined,
    secret: (ns, name) =>
      ns === "db" && name === "creds"
        ? { data: { PASSWORD: Buffer.from("s3cret").toString("base64") } }
        : undefined,
  };
}

test("env: envFrom, then env in order with $(VAR) expansion and every source kind", () => {
  const container: V1Container = {
    name: "etcd",
    envFrom: [
      { configMapRef: { name: "etcd-join" } },
      { configMapRef: { name: "absent", optional: true } },
      { secretRef: { name: "creds" }, prefix: "DB_" },
    ],
    env: [
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
      { name: "APP", valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: "ETCD_NAME", value: "$(POD_NAME)" },
      { name: "URL", value: "http://$(POD_NAME).peer:2380,$(LATER)" },
      { name: "LATER", value: "x" },
      {
        name: "STATE",
        valueFrom: { configMapKeyRef: { name: "etcd-join", key: "ETCD_INITIAL_CLUSTER_STATE" } },
      },
      {
        name: "GONE",
        valueFrom: { configMapKeyRef: { name: "etcd-join", key: "nope", optional: true } },
      },
      { name: "PASS", valueFrom: { secretKeyRef: { name: "creds", key: "PASSWORD" } } },
    ],
  };
  const env = resolveEnvironment(
    pod,
    container,
    sources({
      "etcd-join": {
        ETCD_INITIAL_CLUSTER_STATE: "new",
        ETCD_INITIAL_CLUSTER: "etcd-0=http://a:2380",
      },
    }),
    new Map([["KUBERNETES_SERVICE_HOST", "10.0.0.1"]]),
    addresses,
  );
  assert.equal(env.get("ETCD_INITIAL_CLUSTER"), "etcd-0=http://a:2380");
  assert.equal(env.get("DB_PASSWORD"), "s3cret");
  assert.equal(env.get("ETCD_NAME"), "etcd-1");
  assert.equal(env.get("POD_IP"), "127.1.1.2");
  assert.equal(env.get("APP"), "etcd");
  // A variable defined later is not yet known: the reference stays as written.
  assert.equal(env.get("URL"), "http://etcd-1.peer:2380,$(LATER)");
  assert.equal(env.get("STATE"), "new");
  assert.equal(env.has("GONE"), false);
  assert.equal(env.get("PASS"), "s3cret");
  assert.equal(env.get("KUBERNETES_SERVICE_HOST"), "10.0.0.1");
});

test("env: a missing ConfigMap or key is a CreateContainerConfigError with the kubelet's message", () => {
  const missingMap: V1Container = { name: "c", envFrom: [{ configMapRef: { name: "etcd-join" } }] };
  assert.throws(
    () => resolveEnvironment(pod, missingMap, sources({}), new Map(), addresses),
    (e: unknown) =>
      e instanceof ContainerConfigError &&
      e.reason === "CreateContainerConfigError" &&
      e.message === 'configmap "etcd-join" not found',
  );
  const missingKey: V1Container = {
    name: "c",
    env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "etcd-join", key: "K" } } }],
  };
  assert.throws(
    () => resolveEnvironment(pod, missingKey, sources({ "etcd-join": {} }), new Map(), addresses),
    { message: "couldn't find key K in ConfigMap db/etcd-join" },
  );
});

test("service links: kubernetes always, same-namespace cluster-IP services unless disabled", () => {
  const services = [
    {
      metadata: { name: "kubernetes", namespace: "default" },
      spec: { clusterIP: "10.0.0.1", ports: [{ name: "https", port: 443, protocol: "TCP" }] },
    },
    {
      metadata: { name: "etcd-client", namespace: "db" },
      spec: { clusterIP: "10.0.0.9", ports: [{ name: "client", port: 2379 }] },
    },
    {
      metadata: { name: "etcd-peer", namespace: "db" },
      spec: { clusterIP: "None", ports: [{ port: 2380 }] },
    },
  ];
  const linked = serviceEnvironment(services, "db", true);
  assert.equal(linked.get("ETCD_CLIENT_SERVICE_HOST"), "10.0.0.9");
  assert.equal(linked.get("ETCD_CLIENT_PORT"), "tcp://10.0.0.9:2379");
  assert.equal(linked.get("ETCD_CLIENT_PORT_2379_TCP_ADDR"), "10.0.0.9");
  assert.equal(linked.get("ETCD_CLIENT_SERVICE_PORT_CLIENT"), "2379");
  assert.equal(linked.has("ETCD_PEER_SERVICE_HOST"), false);
  const unlinked = serviceEnvironment(services, "db", false);
  assert.deepEqual(
    [...unlinked.keys()].filter((k) => k.startsWith("ETCD")),
    [],
  );
  assert.equal(unlinked.get("KUBERNETES_SERVICE_HOST"), "10.0.0.1");
});
