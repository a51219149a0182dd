import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ClusterRecord } from "../../providers/membership/record";
import { readingOf, recordConfigMap } from "../../providers/kubernetes/clusterRecord";

const identity = { name: "etcd", namespace: "db", clusterDomain: "cluster.local" };
const slotOf = (k: number) => ({
  ordinal: k,
  name: `etcd-${k}`,
  peerURL: `http://etcd-${k}.etcd-peer.db.svc.cluster.local:2380`,
});
const record: ClusterRecord = {
  owner: "etcd-k8s/prod/etcd",
  token: "etcd-5e1f",
  clusterId: "c1c1c1c1c1c1c1c1",
  members: { 0: "a0a0a0a0a0a0a0a0", 1: "b1b1b1b1b1b1b1b1", 2: "c2c2c2c2c2c2c2c2" },
  joining: 2,
};

describe("cluster record ConfigMap", () => {
  it("is named <name>-join: join settings as etcd's variables, the record as annotations, a finalizer", () => {
    const configMap = recordConfigMap(identity, record, slotOf);
    assert.deepEqual(configMap.metadata?.finalizers, ["etcd-k8s.io/cluster-record"]);
    assert.equal(configMap.metadata?.name, "etcd-join");
    assert.deepEqual(configMap.metadata?.labels, {
      "app.kubernetes.io/managed-by": "etcd-k8s-membership-provider",
      "app.kubernetes.io/instance": "etcd",
    });
    assert.deepEqual(configMap.data, {
      ETCD_INITIAL_CLUSTER: [
        `etcd-0.started=${slotOf(0).peerURL}`,
        `etcd-1.started=${slotOf(1).peerURL}`,
        `etcd-2=${slotOf(2).peerURL}`,
      ].join(","),
      ETCD_INITIAL_CLUSTER_STATE: "existing",
      ETCD_INITIAL_CLUSTER_TOKEN: "etcd-5e1f",
    });
    const { [`etcd-k8s.io/about`]: about, ...annotations } = configMap.metadata?.annotations ?? {};
    assert.match(about, /Only a member named plainly in ETCD_INITIAL_CLUSTER/);
    assert.deepEqual(annotations, {
      "etcd-k8s.io/owner": "etcd-k8s/prod/etcd",
      "etcd-k8s.io/cluster-id": "c1c1c1c1c1c1c1c1",
      "etcd-k8s.io/members":
        "etcd-0=a0a0a0a0a0a0a0a0,etcd-1=b1b1b1b1b1b1b1b1,etcd-2=c2c2c2c2c2c2c2c2",
      "etcd-k8s.io/joining": "etcd-2",
    });
  });

  it("a founding record names only member 0, with state new", () => {
    const founding: ClusterRecord = { owner: "o", token: "etcd-t", members: {} };
    const configMap = recordConfigMap(identity, founding, slotOf);
    assert.deepEqual(configMap.data, {
      ETCD_INITIAL_CLUSTER: `etcd-0=${slotOf(0).peerURL}`,
      ETCD_INITIAL_CLUSTER_STATE: "new",
      ETCD_INITIAL_CLUSTER_TOKEN: "etcd-t",
    });
    assert.deepEqual(readingOf(identity, configMap).record, founding);
  });

  it("reads back what it wrote, dated by this provider's last write", () => {
    const configMap = recordConfigMap(identity, record, slotOf);
    configMap.metadata!.managedFields = [
      { manager: "kubectl", time: new Date("2026-11-27T10:00:00Z") },
      { manager: "etcd-k8s-membership", time: new Date("2026-11-27T09:00:00Z") },
    ];
    const reading = readingOf(identity, configMap);
    assert.deepEqual(reading.record, record);
    assert.equal(reading.writtenAt, Date.parse("2026-11-27T09:00:00Z"));
    assert.equal(reading.doomed, false);
    assert.equal(reading.location, "ConfigMap db/etcd-join");
  });

  it("a ConfigMap of an earlier version (no owner) has join settings but no record", () => {
    const reading = readingOf(identity, {
      metadata: { name: "etcd-join" },
      data: {
        ETCD_INITIAL_CLUSTER: `etcd-0=${slotOf(0).peerURL}`,
        ETCD_INITIAL_CLUSTER_STATE: "existing",
      },
    });
    assert.equal(reading.record, undefined);
    assert.deepEqual(reading.join, {
      initialCluster: `etcd-0=${slotOf(0).peerURL}`,
      state: "existing",
      token: "",
    });
  });

  it("a record written to find a lost cluster again lets members start on their own data only", () => {
    const awaiting: ClusterRecord = { owner: "o", token: "etcd-t", members: {}, awaiting: [0, 1] };
    const configMap = recordConfigMap(identity, awaiting, slotOf);
    assert.deepEqual(configMap.data, {
      ETCD_INITIAL_CLUSTER: `etcd-0.started=${slotOf(0).peerURL},etcd-1.started=${slotOf(1).peerURL}`,
      ETCD_INITIAL_CLUSTER_STATE: "existing",
      ETCD_INITIAL_CLUSTER_TOKEN: "etcd-t",
    });
    assert.equal(configMap.metadata?.annotations?.["etcd-k8s.io/awaiting"], "etcd-0,etcd-1");
    assert.deepEqual(readingOf(identity, configMap).record, awaiting);
  });

  it("one marked for deletion is doomed", () => {
    const configMap = recordConfigMap(identity, record, slotOf);
    configMap.metadata!.deletionTimestamp = new Date();
    assert.equal(readingOf(identity, configMap).doomed, true);
  });

  it("refuses settings etcd would not accept and members it cannot place, naming the key", () => {
    assert.throws(() => readingOf(identity, { data: { ETCD_INITIAL_CLUSTER_STATE: "new" } }), {
      message: "ConfigMap db/etcd-join: key ETCD_INITIAL_CLUSTER is missing or empty",
    });
    const edited = recordConfigMap(identity, record, slotOf);
    edited.metadata!.annotations!["etcd-k8s.io/members"] = "other-0=zz";
    assert.throws(
      () => readingOf(identity, edited),
      /annotation etcd-k8s.io\/members is "other-0=zz"/,
    );
  });
});
