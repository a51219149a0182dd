/**
 * The Kubernetes workload against a real kube-apiserver and kube-controller-manager (StatefulSet,
 * garbage-collector, PV binder and PV/PVC protection controllers) with the process kubelet, all
 * from test/e2e, on this suite's loopback addresses (see kube-cluster.ts).
 *
 * Two StatefulSets: `parked`, whose pods no node accepts (they stay Pending, for the scale,
 * listing, volume and refusal tests), and `etcd`, the component's shape, whose pod runs real etcd.
 *
 * Port-forward cannot work end to end here: the API server relays `pods/portforward` to the
 * node's kubelet streaming server, which the process kubelet does not have. What is tested is the
 * refusal (with the API server's reason); the local listener is tested in forward-server.test.ts.
 */
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Etcd3 } from "etcd3";
import type { ClusterRecord } from "../../providers/membership/record";
import type { MembershipArgs } from "../../model/membership/inputs";
import type { Workload } from "../../providers/membership/types";
import { connectKube } from "../../providers/kubernetes/kubeconfig";
import { createKubernetesWorkload } from "../../providers/kubernetes/kubernetesWorkload";
import { deleteVolume } from "../../providers/kubernetes/volumes";
import { waitUntil } from "../../providers/kubernetes/wait";
import {
  member,
  NAMESPACE,
  parked,
  podsOnceTheyAre,
  startTestCluster,
  WAIT,
  type TestCluster,
} from "./kubeCluster";
import { loadSerialized } from "./loadSerialized";

let cluster: TestCluster;
const argsFor = (...args: Parameters<TestCluster["argsFor"]>) => cluster.argsFor(...args);
const kubeconfig = () => cluster.plane.kubeconfig;

before(async () => {
  cluster = await startTestCluster();
});

after(() => cluster?.stop());

describe("a StatefulSet whose pods stay Pending", () => {
  let workload: Workload;
  before(() => {
    workload = createKubernetesWorkload(argsFor(parked));
  });
  after(() => workload.close());

  it("reads and patches the replica count through the scale subresource only", async () => {
    const { apps } = connectKube(parked, kubeconfig());
    const read = () => apps.readNamespacedStatefulSet({ name: parked.name, namespace: NAMESPACE });
    assert.equal(await workload.replicas(), 1);
    const templateBefore = (await read()).spec?.template;
    await workload.scale(3);
    assert.equal(await workload.replicas(), 3);
    const set = await read();
    assert.equal(set.spec?.replicas, 3);
    assert.deepEqual(set.spec?.template, templateBefore);
    assert.ok(set.metadata?.managedFields?.some((f) => f.subresource === "scale"));
  });

  it("lists its pods by selector and name, with the scheduler's reason, not the foreign pod", async () => {
    const pods = await podsOnceTheyAre(workload, [0, 1, 2], (p) =>
      p.every((s) => s.lastTermination !== undefined),
    );
    assert.deepEqual(
      pods.map((p) => ({ ...p, createdAt: undefined })),
      [0, 1, 2].map((ordinal) => ({
        ordinal,
        name: `parked-${ordinal}`,
        phase: "waiting",
        ready: false,
        restarts: 0,
        started: false,
        voterLabel: false,
        createdAt: undefined,
        lastTermination:
          "Unschedulable: 0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.",
      })),
    );
  });

  it("lists volumes by PVC name and refuses to delete one whose pod exists", async () => {
    await waitUntil(
      "PVCs 0,1,2",
      async () => {
        const live = (await workload.volumes()).map((v) => v.ordinal).join(",");
        return live === "0,1,2" ? undefined : `volumes are ${live}`;
      },
      WAIT,
    );
    await assert.rejects(workload.deleteVolume(2), {
      message: `delete PersistentVolumeClaim ${NAMESPACE}/data-parked-2: refused because pod ${NAMESPACE}/parked-2 still exists; scale the StatefulSet below 3 and wait until the pod is gone`,
    });
  });

  it("client endpoints name the pod and what is missing", async () => {
    await assert.rejects(workload.clientEndpoint(8), {
      message: `port-forward for member parked-8: pod ${NAMESPACE}/parked-8 does not exist`,
    });
    await assert.rejects(workload.clientEndpoint(0), {
      message: `port-forward for member parked-0: pod ${NAMESPACE}/parked-0 is not running (phase Pending)`,
    });
    const byPodIP = createKubernetesWorkload(argsFor(parked, "pod-ip"));
    await assert.rejects(byPodIP.clientEndpoint(0), {
      message: `client URL for member parked-0: pod ${NAMESPACE}/parked-0 has no pod IP yet (phase Pending)`,
    });
  });

  it("deletes the volumes of removed members once pvc-protection lets them go", async () => {
    const { core } = connectKube(parked, kubeconfig());
    const pvc = await core.readNamespacedPersistentVolumeClaim({
      name: "data-parked-2",
      namespace: NAMESPACE,
    });
    assert.ok(pvc.metadata?.finalizers?.includes("kubernetes.io/pvc-protection"));
    await workload.scale(1);
    await podsOnceTheyAre(workload, [0]);
    await workload.deleteVolume(2);
    await workload.deleteVolume(1);
    assert.deepEqual(
      (await workload.volumes()).map((v) => v.ordinal),
      [0],
    );
    await workload.deleteVolume(1);
  });

  it("reports a PVC being deleted until it is gone, and stops waiting within its bound", async () => {
    const ctx = connectKube(parked, kubeconfig());
    const hold = "etcd-k8s.example/hold";
    await ctx.core.createNamespacedPersistentVolumeClaim({
      namespace: NAMESPACE,
      body: {
        metadata: { name: "data-parked-5", finalizers: [hold] },
        spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
      },
    });
    await assert.rejects(
      deleteVolume(ctx, 5, { initialDelayMs: 10, maxDelayMs: 50, totalMs: 300 }),
      new RegExp(
        `^Error: delete PersistentVolumeClaim ${NAMESPACE}/data-parked-5: gave up after 300 ms: it still exists with finalizers ${hold}(, kubernetes.io/pvc-protection \\(kubernetes.io/pvc-protection clears once no pod uses the claim\\))?$`,
      ),
    );
    assert.deepEqual(
      (await workload.volumes()).map((v) => v.ordinal),
      [0, 5],
    );
    await ctx.core.patchNamespacedPersistentVolumeClaim({
      name: "data-parked-5",
      namespace: NAMESPACE,
      body: [{ op: "remove", path: "/metadata/finalizers/0" }],
    });
    await workload.deleteVolume(5);
    assert.deepEqual(
      (await workload.volumes()).map((v) => v.ordinal),
      [0],
    );
  });

  it("an absent StatefulSet is a clear 404; an absent cluster record is just absent", async () => {
    const missing = createKubernetesWorkload(argsFor({ ...parked, name: "missing" }));
    await assert.rejects(missing.replicas(), (error: Error & { status?: number }) => {
      assert.equal(
        error.message,
        `read StatefulSet ${NAMESPACE}/missing/scale: HTTP 404 NotFound: statefulsets.apps "missing" not found`,
      );
      assert.equal(error.status, 404);
      return true;
    });
    await assert.rejects(missing.pods(), {
      message: `read StatefulSet ${NAMESPACE}/missing: HTTP 404 NotFound: statefulsets.apps "missing" not found`,
    });
    assert.equal(await missing.readRecord(), undefined);
    await missing.removeRecord();
  });
});

describe("a StatefulSet whose pod runs etcd", () => {
  let workload: Workload;
  before(() => {
    workload = createKubernetesWorkload(argsFor(member));
  });
  after(() => workload.close());
  const founding: ClusterRecord = { owner: "etcd-k8s/test/etcd", token: "etcd-t0ken", members: {} };

  it("the member waits for the cluster record, which the workload writes, reads, replaces and removes", async () => {
    const [waiting] = await podsOnceTheyAre(
      workload,
      [0],
      ([p]) => p.lastTermination !== undefined,
    );
    assert.equal(waiting.phase, "waiting");
    assert.equal(
      waiting.lastTermination,
      'CreateContainerConfigError: configmap "etcd-join" not found',
    );
    assert.equal(await workload.readRecord(), undefined);

    const before = Date.now() - 1_000;
    await workload.writeRecord(founding);
    const written = await workload.readRecord();
    assert.deepEqual(
      { ...written, writtenAt: undefined },
      {
        location: `ConfigMap ${NAMESPACE}/etcd-join`,
        record: founding,
        join: {
          state: "new",
          initialCluster: `etcd-0=${workload.slot(0).peerURL}`,
          token: "etcd-t0ken",
        },
        doomed: false,
        writtenAt: undefined,
      },
    );
    assert.ok((written?.writtenAt ?? 0) >= before - 1_000, "dated by the API server's clock");
    const [running] = await podsOnceTheyAre(workload, [0], ([p]) => p.ready);
    assert.deepEqual(
      { ...running, createdAt: undefined },
      {
        ordinal: 0,
        name: "etcd-0",
        phase: "running",
        ready: true,
        restarts: 0,
        started: true,
        voterLabel: false,
        createdAt: undefined,
      },
    );
    assert.ok((running.createdAt ?? 0) > 0);

    await workload.labelVoter(0, true);
    assert.equal((await workload.pods())[0].voterLabel, true);
    await workload.labelVoter(0, false);
    assert.equal((await workload.pods())[0].voterLabel, false);

    const { core } = connectKube(member, kubeconfig());
    const stored = await core.readNamespacedConfigMap({ name: "etcd-join", namespace: NAMESPACE });
    assert.equal(
      stored.metadata?.labels?.["app.kubernetes.io/managed-by"],
      "etcd-k8s-membership-provider",
    );
    assert.deepEqual(stored.metadata?.finalizers, ["etcd-k8s.io/cluster-record"]);
    assert.equal(stored.metadata?.annotations?.["etcd-k8s.io/owner"], founding.owner);
    const joining: ClusterRecord = {
      ...founding,
      clusterId: "c1c1c1c1c1c1c1c1",
      members: { 0: "a0a0a0a0a0a0a0a0", 1: "b1b1b1b1b1b1b1b1" },
      joining: 1,
    };
    await workload.writeRecord(joining);
    const replaced = await workload.readRecord();
    assert.deepEqual(replaced?.record, joining);
    assert.equal(
      replaced?.join.initialCluster,
      `etcd-0.started=${workload.slot(0).peerURL},etcd-1=${workload.slot(1).peerURL}`,
    );

    // Deleted by hand: the finalizer keeps it for the pods until the provider writes it again.
    await core.deleteNamespacedConfigMap({ name: "etcd-join", namespace: NAMESPACE });
    assert.equal((await workload.readRecord())?.doomed, true);
    await workload.writeRecord(joining);
    const restored = await workload.readRecord();
    assert.equal(restored?.doomed, false);
    assert.deepEqual(restored?.record, joining);

    await workload.removeRecord();
    assert.equal(await workload.readRecord(), undefined);
    await workload.removeRecord();
  });

  it("pod-ip: the endpoint reaches the member's etcd", async () => {
    const byPodIP = createKubernetesWorkload(argsFor(member, "pod-ip"));
    const endpoint = await byPodIP.clientEndpoint(0);
    assert.match(endpoint.url, /^http:\/\/127\.2\.1\.\d+:2379$/);
    const client = new Etcd3({
      hosts: endpoint.url,
      defaultCallOptions: () => ({ deadline: Date.now() + 10_000 }),
    });
    try {
      await client.put("reached").value("by pod IP");
      assert.equal(await client.get("reached").string(), "by pod IP");
    } finally {
      client.close();
      await byPodIP.close();
    }
  });

  it("port-forward: the endpoint reaches the member's etcd through pods/portforward", async () => {
    // The API server relays the forward to the process kubelet's kubelet-streaming.
    const endpoint = await workload.clientEndpoint(0);
    assert.match(endpoint.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const client = new Etcd3({
      hosts: endpoint.url,
      defaultCallOptions: () => ({ deadline: Date.now() + 10_000 }),
    });
    try {
      await client.put("reached").value("by port-forward");
      assert.equal(await client.get("reached").string(), "by port-forward");
    } finally {
      client.close();
      await endpoint.close();
    }
  });

  it("a member that cannot start is reported with its exit, and its volume goes after its pod", async () => {
    // Only etcd-0 may found the cluster: etcd-1 on its empty volume exits at once, on every start.
    await workload.writeRecord(founding);
    await workload.scale(2);
    const [, crashing] = await podsOnceTheyAre(workload, [0, 1], ([, p]) =>
      (p.lastTermination ?? "").includes("couldn't find local name"),
    );
    assert.equal(crashing.ready, false);
    assert.match(
      crashing.lastTermination ?? "",
      /exited with code 1 .*couldn't find local name \\"etcd-1\\" in the initial cluster configuration/,
    );
    await workload.scale(1);
    await podsOnceTheyAre(workload, [0]);
    await workload.deleteVolume(1);
    assert.deepEqual(
      (await workload.volumes()).map((v) => v.ordinal),
      [0],
    );
  });

  it("the serialized provider, loaded like the dynamic-provider host does, reaches the API", async () => {
    const provider = {
      async read(_id: string, props: MembershipArgs) {
        const w = createKubernetesWorkload(props);
        try {
          return {
            replicas: await w.replicas(),
            volumes: (await w.volumes()).map((v) => v.ordinal),
          };
        } finally {
          await w.close();
        }
      },
    };
    const loaded = await loadSerialized(provider);
    assert.deepEqual(await loaded.read("", argsFor(member)), { replicas: 1, volumes: [0] });
  });
});
