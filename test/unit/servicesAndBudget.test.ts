import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { disruptionBudgetArgs } from "../../components/builders/disruptionBudget";
import { commonLabels } from "../../components/builders/labels";
import { namespaceArgs } from "../../components/builders/namespace";
import { clientServiceArgs, peerServiceArgs } from "../../components/builders/services";
import { validateKubernetesObject } from "../support/kubernetesSchema";
import { asDisruptionBudget, asNamespace, asService } from "../support/render";
import { settingsFor } from "../support/settings";

const SELECTOR = { "app.kubernetes.io/name": "etcd", "app.kubernetes.io/instance": "etcd" };

describe("the peer Service", () => {
  const service = asService(peerServiceArgs(settingsFor({ namespace: "data" })));

  it("is headless and publishes members before they are ready", () => {
    validateKubernetesObject(service);
    assert.equal(service.metadata?.name, "etcd-peer");
    assert.equal(service.metadata?.namespace, "data");
    assert.equal(service.spec?.clusterIP, "None");
    assert.equal(service.spec?.publishNotReadyAddresses, true);
    assert.deepEqual(service.spec?.selector, SELECTOR);
    assert.deepEqual(service.spec?.ports, [
      { name: "client", port: 2379, targetPort: "client" },
      { name: "peer", port: 2380, targetPort: "peer" },
    ]);
  });
});

describe("the client Service", () => {
  it("serves port 2379 of ready members with the configured type", () => {
    for (const clientServiceType of ["ClusterIP", "NodePort", "LoadBalancer"] as const) {
      const service = asService(clientServiceArgs(settingsFor({ clientServiceType })));
      validateKubernetesObject(service);
      assert.equal(service.metadata?.name, "etcd-client");
      assert.equal(service.spec?.type, clientServiceType);
      assert.equal(service.spec?.publishNotReadyAddresses, undefined);
      assert.deepEqual(service.spec?.selector, SELECTOR);
      assert.deepEqual(service.spec?.ports, [{ name: "client", port: 2379, targetPort: "client" }]);
      assert.equal(service.metadata?.annotations?.["pulumi.com/skipAwait"], "true");
    }
  });
});

describe("the PodDisruptionBudget", () => {
  const budget = asDisruptionBudget(disruptionBudgetArgs(settingsFor()));

  it("selects only the pods the provider labels as voters: a learner never counts (F5)", () => {
    validateKubernetesObject(budget);
    assert.equal(budget.metadata?.name, "etcd");
    assert.deepEqual(budget.spec?.selector, {
      matchLabels: { ...SELECTOR, "etcd-k8s.io/voter": "true" },
    });
    assert.equal(budget.spec?.maxUnavailable, undefined);
  });

  it("keeps a quorum available at every size, as Kubernetes rounds it", () => {
    const minAvailable = budget.spec?.minAvailable;
    assert.equal(minAvailable, "51%");
    const percent = Number(/^(\d+)%$/.exec(String(minAvailable))?.[1]);
    for (let members = 1; members <= 9; members++) {
      // Kubernetes: GetScaledValueFromIntOrPercent(minAvailable, expected pods, roundUp=true).
      const required = Math.ceil((percent * members) / 100);
      const quorum = Math.floor(members / 2) + 1;
      assert.equal(required, quorum, `${members} members`);
    }
  });
});

describe("the Namespace", () => {
  it("carries the common labels and the user's annotations", () => {
    const settings = settingsFor({ namespace: "data", annotations: { "x.io/a": "b" } });
    const namespace = asNamespace(namespaceArgs(settings));
    validateKubernetesObject(namespace);
    assert.equal(namespace.metadata?.name, "data");
    assert.deepEqual(namespace.metadata?.labels, commonLabels(settings));
    assert.deepEqual(namespace.metadata?.annotations, { "x.io/a": "b" });
  });
});
