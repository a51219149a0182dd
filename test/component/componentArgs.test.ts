/**
 * EtcdCluster used directly, with arguments no stack file uses. The programs run one after the
 * other: each `recordRegistrations` starts a fresh mock monitor, and `settle` drains the last one.
 */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import type { IStatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import type { IService } from "kubernetes-models/v1/Service";
import { isValidationError } from "../../model/config/rules";
import { ETCD_CLUSTER_TYPE, EtcdCluster } from "../../components/etcdCluster";
import { validateKubernetesObject } from "../support/kubernetesSchema";
import { find, inputsOf, outputValue, recordRegistrations, settle } from "../support/pulumiMocks";

/** Where a value is still unknown (in a preview, inputs that depend on unresolved outputs). */
function unknownPaths(value: unknown, at: string): string[] {
  if (pulumi.isUnknown(value)) return [at];
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, item]) => unknownPaths(item, `${at}.${key}`));
}

describe("EtcdCluster with its own arguments", () => {
  it("uses an existing namespace, names objects after the resource and honours every option", async () => {
    const registrations = await recordRegistrations("etcd-k8s", "test");
    const cluster = new EtcdCluster("orders", {
      size: 3,
      namespace: "default",
      createNamespace: false,
      antiAffinity: "none",
      pvcPolicy: "Retain",
      clientServiceType: "LoadBalancer",
      clusterDomain: "k8s.example.com",
    });
    const endpoint = await outputValue(cluster.clientEndpoint);
    await settle();

    assert.equal(endpoint, "http://orders-client.default.svc.k8s.example.com:2379");
    assert.deepEqual(registrations.map((r) => `${r.type} ${r.name}`).sort(), [
      `${ETCD_CLUSTER_TYPE} orders`,
      "kubernetes:apps/v1:StatefulSet orders",
      "kubernetes:core/v1:Service orders-client",
      "kubernetes:core/v1:Service orders-peer",
      "kubernetes:policy/v1:PodDisruptionBudget orders",
      "pulumi-nodejs:dynamic/etcd:Membership orders-membership",
    ]);
    const component = find(registrations, ETCD_CLUSTER_TYPE, "orders");
    for (const child of registrations.filter((r) => r.type.startsWith("kubernetes:"))) {
      assert.equal(child.parent, component.urn);
      assert.deepEqual(child.dependencies, []);
      validateKubernetesObject(child.inputs);
    }
    const membership = find(
      registrations,
      "pulumi-nodejs:dynamic/etcd:Membership",
      "orders-membership",
    );
    assert.equal(membership.parent, component.urn);
    assert.equal(membership.inputs.volumePolicy, "Retain");
    assert.equal(membership.inputs.clusterDomain, "k8s.example.com");
    const statefulSet = inputsOf<IStatefulSet>(
      registrations,
      "kubernetes:apps/v1:StatefulSet",
      "orders",
    );
    assert.equal(statefulSet.metadata?.namespace, "default");
    assert.equal(statefulSet.spec?.template.spec?.affinity, undefined);
    assert.equal(statefulSet.spec?.persistentVolumeClaimRetentionPolicy?.whenScaled, "Retain");
    const client = inputsOf<IService>(registrations, "kubernetes:core/v1:Service", "orders-client");
    assert.equal(client.spec?.type, "LoadBalancer");
  });

  it("refuses bad arguments before registering anything", async () => {
    const registrations = await recordRegistrations("etcd-k8s", "test");
    assert.throws(
      () => new EtcdCluster("Orders", { size: 2, antiAffinity: "strict" as "required" }),
      (error: unknown) => {
        assert.ok(isValidationError(error));
        assert.match(error.message, /^EtcdCluster "Orders": 2 invalid value\(s\):/);
        assert.deepEqual(
          error.violations.map((v) => v.key),
          ["clusterName", "antiAffinity"],
        );
        return true;
      },
    );
    await settle();
    assert.deepEqual(registrations, []);
  });

  it("renders every object completely in a preview, so `pulumi preview --diff` shows it", async () => {
    const registrations = await recordRegistrations("etcd-k8s", "test", true);
    new EtcdCluster("etcd", { size: 3 });
    await settle();
    assert.equal(registrations.length, 7);
    for (const registration of registrations)
      assert.deepEqual(unknownPaths(registration.inputs, registration.name), []);
    const statefulSet = inputsOf<IStatefulSet>(
      registrations,
      "kubernetes:apps/v1:StatefulSet",
      "etcd",
    );
    assert.equal(statefulSet.spec?.template.spec?.containers[0].env?.[0].name, "POD_NAME");
  });
});
