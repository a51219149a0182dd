import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { IContainer } from "kubernetes-models/v1/Container";
import { clusterIdentity } from "../../model/config/settings";
import { CONTAINER_NAME } from "../../components/builders/etcdContainer";
import { etcdPodSpec } from "../../components/builders/podSpec";
import * as naming from "../../model/naming";
import { expandEnvironment } from "../support/environment";
import { resolvePodSpec } from "../support/render";
import { settingsFor } from "../support/settings";

async function renderedPod(args: Parameters<typeof settingsFor>[0] = {}) {
  const settings = settingsFor(args);
  const pod = await resolvePodSpec(etcdPodSpec(settings));
  const container = pod.containers.find((c) => c.name === CONTAINER_NAME) as IContainer;
  return { settings, pod, container };
}

describe("the etcd pod", () => {
  it("configures etcd through ETCD_* variables only: no command for a distroless image", async () => {
    const { container } = await renderedPod();
    assert.equal(container.command, undefined);
    assert.equal(container.args, undefined);
    assert.deepEqual(
      container.env?.map((e) => e.name),
      [
        "POD_NAME",
        "ETCD_NAME",
        "ETCD_DATA_DIR",
        "ETCD_LISTEN_PEER_URLS",
        "ETCD_LISTEN_CLIENT_URLS",
        "ETCD_LISTEN_METRICS_URLS",
        "ETCD_ADVERTISE_CLIENT_URLS",
        "ETCD_INITIAL_ADVERTISE_PEER_URLS",
      ],
    );
    assert.deepEqual(container.env?.[0], {
      name: "POD_NAME",
      valueFrom: { fieldRef: { fieldPath: "metadata.name" } },
    });
  });

  it("makes every pod advertise exactly the peer and client URLs the provider computes", async () => {
    const { settings, container } = await renderedPod({
      namespace: "data",
      clusterDomain: "k8s.example",
    });
    const identity = clusterIdentity(settings);
    for (const ordinal of [0, 1, 2, 8]) {
      const env = expandEnvironment(container.env ?? [], naming.podName(identity, ordinal));
      assert.equal(env.ETCD_NAME, `etcd-${ordinal}`);
      assert.equal(env.ETCD_INITIAL_ADVERTISE_PEER_URLS, naming.peerURL(identity, ordinal));
      assert.equal(env.ETCD_ADVERTISE_CLIENT_URLS, naming.memberClientURL(identity, ordinal));
      assert.equal(
        env.ETCD_INITIAL_ADVERTISE_PEER_URLS,
        `http://etcd-${ordinal}.etcd-peer.data.svc.k8s.example:2380`,
      );
    }
  });

  it("listens on every interface, keeps data below the mount, and leaves the cluster token to the record", async () => {
    const { container } = await renderedPod();
    const env = expandEnvironment(container.env ?? [], "etcd-0");
    assert.equal(env.ETCD_LISTEN_PEER_URLS, "http://0.0.0.0:2380");
    assert.equal(env.ETCD_LISTEN_CLIENT_URLS, "http://0.0.0.0:2379");
    assert.equal(env.ETCD_LISTEN_METRICS_URLS, "http://0.0.0.0:2381");
    assert.equal(env.ETCD_DATA_DIR, "/var/lib/etcd/data");
    assert.ok(env.ETCD_DATA_DIR.startsWith(`${naming.DATA_MOUNT_PATH}/`));
    // Each cluster gets its own random token from the membership provider (through the ConfigMap),
    // so a destroyed cluster's data never passes for a new one's.
    assert.equal(env.ETCD_INITIAL_CLUSTER_TOKEN, undefined);
    assert.equal(container.terminationMessagePolicy, "FallbackToLogsOnError");
    assert.deepEqual(container.volumeMounts, [
      { name: naming.DATA_VOLUME, mountPath: naming.DATA_MOUNT_PATH },
    ]);
  });

  it("takes the join settings from the provider's ConfigMap, and waits for it", async () => {
    const { container } = await renderedPod({ clusterName: "orders" });
    assert.deepEqual(container.envFrom, [{ configMapRef: { name: "orders-join" } }]);
    const names = container.env?.map((e) => e.name) ?? [];
    assert.ok(!names.includes("ETCD_INITIAL_CLUSTER"), "env would shadow the ConfigMap");
    assert.ok(!names.includes("ETCD_INITIAL_CLUSTER_STATE"), "env would shadow the ConfigMap");
  });

  it("names the client, peer and metrics ports", async () => {
    const { container } = await renderedPod();
    assert.deepEqual(container.ports, [
      { name: "client", containerPort: 2379 },
      { name: "peer", containerPort: 2380 },
      { name: "metrics", containerPort: 2381 },
    ]);
  });

  it("probes the metrics port with checks that need no quorum to start", async () => {
    const { container } = await renderedPod();
    const metrics = container.ports?.find((p) => p.name === "metrics")?.containerPort;
    assert.equal(metrics, naming.METRICS_PORT);
    assert.deepEqual(container.startupProbe?.httpGet, { path: "/livez", port: "metrics" });
    assert.deepEqual(container.livenessProbe?.httpGet, { path: "/livez", port: "metrics" });
    assert.deepEqual(container.readinessProbe?.httpGet, { path: "/readyz", port: "metrics" });
    const startup = container.startupProbe;
    assert.ok((startup?.periodSeconds ?? 0) * (startup?.failureThreshold ?? 0) >= 300);
    // Readiness is probed as soon as startup passes: a member is Ready within a second of serving.
    assert.equal(startup?.periodSeconds, 1);
    // A member that is not ready yet when startup passes (no leader yet, still a learner) is
    // Ready within a second of turning ready, and NotReady only after 15 s of failures.
    // Probes run one at a time, so a hung member fails once per timeout: that bounds it too.
    const readiness = container.readinessProbe;
    assert.equal(readiness?.periodSeconds, 1);
    const slowest = Math.max(readiness?.periodSeconds ?? 0, readiness?.timeoutSeconds ?? 0);
    assert.equal(slowest * (readiness?.failureThreshold ?? 0), 15);
  });

  it("runs as a fixed non-root user with nothing writable but the volume", async () => {
    const { pod, container } = await renderedPod();
    assert.deepEqual(pod.securityContext, {
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      fsGroup: 65532,
      fsGroupChangePolicy: "OnRootMismatch",
      seccompProfile: { type: "RuntimeDefault" },
    });
    assert.deepEqual(container.securityContext, {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    });
    assert.equal(pod.automountServiceAccountToken, false);
    assert.equal(pod.enableServiceLinks, false);
    assert.equal(pod.terminationGracePeriodSeconds, 30);
  });

  it("uses the configured image and resources", async () => {
    const resources = { requests: { cpu: "1" }, limits: { memory: "1Gi" } };
    const { container } = await renderedPod({ image: "quay.io/coreos/etcd:v3.6.4", resources });
    assert.equal(container.image, "quay.io/coreos/etcd:v3.6.4");
    assert.deepEqual(container.resources, resources);
  });

  it("spreads members over nodes as configured", async () => {
    const term = {
      labelSelector: {
        matchLabels: { "app.kubernetes.io/name": "etcd", "app.kubernetes.io/instance": "etcd" },
      },
      topologyKey: "kubernetes.io/hostname",
    };
    assert.deepEqual((await renderedPod({ antiAffinity: "required" })).pod.affinity, {
      podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] },
    });
    assert.deepEqual((await renderedPod({ antiAffinity: "preferred" })).pod.affinity, {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }],
      },
    });
    assert.equal((await renderedPod({ antiAffinity: "none" })).pod.affinity, undefined);
  });
});
