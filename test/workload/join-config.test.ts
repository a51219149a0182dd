import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { joinConfigMap, joinConfigOf } from "../../providers/workload/join-config";

const identity = { name: "etcd", namespace: "db", clusterDomain: "cluster.local" };
const config = {
  initialCluster:
    "etcd-0=http://etcd-0.etcd-peer.db.svc.cluster.local:2380,etcd-1=http://etcd-1.etcd-peer.db.svc.cluster.local:2380",
  state: "existing" as const,
};

describe("join ConfigMap", () => {
  it("is named <name>-join, labelled as the membership provider's, with etcd's own variable names", () => {
    assert.deepEqual(joinConfigMap(identity, config), {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name: "etcd-join",
        namespace: "db",
        labels: {
          "app.kubernetes.io/managed-by": "etcd-k8s-membership-provider",
          "app.kubernetes.io/instance": "etcd",
        },
      },
      data: { ETCD_INITIAL_CLUSTER: config.initialCluster, ETCD_INITIAL_CLUSTER_STATE: "existing" },
    });
  });

  it("reads back what it wrote", () => {
    assert.deepEqual(joinConfigOf(identity, joinConfigMap(identity, config)), config);
  });

  it("refuses a ConfigMap edited into something etcd would not accept, naming it and the key", () => {
    assert.throws(() => joinConfigOf(identity, { data: { ETCD_INITIAL_CLUSTER_STATE: "new" } }), {
      message: "ConfigMap db/etcd-join: key ETCD_INITIAL_CLUSTER is missing or empty",
    });
    assert.throws(
      () =>
        joinConfigOf(identity, {
          data: {
            ETCD_INITIAL_CLUSTER: config.initialCluster,
            ETCD_INITIAL_CLUSTER_STATE: "joining",
          },
        }),
      {
        message:
          'ConfigMap db/etcd-join: key ETCD_INITIAL_CLUSTER_STATE is "joining"; it must be "new" or "existing"',
      },
    );
  });
});
