/**
 * Where an EtcdCluster sends its objects and its membership changes: a kubeconfig's context made
 * current for the membership provider, and a Kubernetes provider in the resource options refused
 * without the kubeconfig it was made from (the members would otherwise be changed in whatever
 * cluster KUBECONFIG names).
 */
import * as assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KubeConfig } from "@kubernetes/client-node";
import { EtcdCluster } from "../../components/etcdCluster";
import { withContext } from "../../components/kubernetesTarget";

const KUBECONFIG = JSON.stringify({
  apiVersion: "v1",
  kind: "Config",
  clusters: [
    { name: "a", cluster: { server: "https://127.0.0.1:6443" } },
    { name: "b", cluster: { server: "https://127.0.0.2:6443" } },
  ],
  users: [{ name: "admin", user: { token: "t" } }],
  contexts: [
    { name: "a", context: { cluster: "a", user: "admin" } },
    { name: "b", context: { cluster: "b", user: "admin" } },
  ],
  "current-context": "b",
});

before(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
      call: () => ({}),
    },
    "etcd-k8s",
    "test",
  );
});

describe("the Kubernetes target", () => {
  it("makes the named context current for the membership provider", () => {
    const config = new KubeConfig();
    config.loadFromString(withContext('EtcdCluster "etcd"', KUBECONFIG, "a"));
    assert.equal(config.getCurrentContext(), "a");
    assert.equal(config.getCurrentCluster()?.server, "https://127.0.0.1:6443");
  });

  it("refuses a context the kubeconfig does not have, naming the ones it has", () => {
    assert.throws(
      () => withContext('EtcdCluster "etcd"', KUBECONFIG, "c"),
      /EtcdCluster "etcd": 1 invalid value\(s\):\n {2}- context: "c" is not allowed; must be a context of the kubeconfig: a, b/,
    );
  });

  it("refuses a Kubernetes provider in the options without its kubeconfig", () => {
    const provider = new k8s.Provider("other", { kubeconfig: KUBECONFIG, context: "a" });
    for (const opts of [
      { provider },
      { providers: [provider] },
      { providers: { kubernetes: provider } },
    ])
      assert.throws(
        () => new EtcdCluster("etcd", { size: 1 }, opts),
        /kubeconfig: \(missing\) is not allowed; a Kubernetes provider in the resource options needs the kubeconfig \(and context\) it was made from/,
      );
  });

  it("accepts the provider together with its kubeconfig and context", () => {
    const provider = new k8s.Provider("target", { kubeconfig: KUBECONFIG, context: "a" });
    assert.doesNotThrow(
      () =>
        new EtcdCluster("etcd", { size: 1, kubeconfig: KUBECONFIG, context: "a" }, { provider }),
    );
  });
});
