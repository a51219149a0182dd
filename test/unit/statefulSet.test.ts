import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { etcdPodSpec } from "../../components/builders/podSpec";
import { statefulSetArgs } from "../../components/builders/statefulSet";
import { validateKubernetesObject } from "../support/kubernetesSchema";
import { outputValue } from "../support/pulumiMocks";
import { asStatefulSet } from "../support/render";
import { settingsFor } from "../support/settings";

async function rendered(args: Parameters<typeof settingsFor>[0] = {}) {
  const settings = settingsFor(args);
  const resourceArgs = statefulSetArgs(settings, etcdPodSpec(settings));
  return asStatefulSet(await outputValue(pulumi.output(resourceArgs)));
}

describe("the StatefulSet", () => {
  it("is a valid Kubernetes StatefulSet", async () => {
    validateKubernetesObject(await rendered());
    validateKubernetesObject(
      await rendered({ antiAffinity: "required", storage: { size: "1Gi", className: "ssd" } }),
    );
  });

  it("leaves replicas to the membership provider", async () => {
    const spec = (await rendered({ size: 5 })).spec;
    assert.ok(spec);
    assert.ok(!("replicas" in spec), "spec.replicas is set");
  });

  it("names pods after the cluster through the headless peer Service", async () => {
    const set = await rendered({ clusterName: "orders", namespace: "data" });
    assert.equal(set.metadata?.name, "orders");
    assert.equal(set.metadata?.namespace, "data");
    assert.equal(set.spec?.serviceName, "orders-peer");
  });

  it("scales in parallel, updates one pod at a time and is not awaited by Pulumi", async () => {
    const set = await rendered();
    assert.equal(set.spec?.podManagementPolicy, "Parallel");
    assert.deepEqual(set.spec?.updateStrategy, { type: "RollingUpdate" });
    assert.equal(set.metadata?.annotations?.["pulumi.com/skipAwait"], "true");
  });

  it("applies the volume policy to removed members and keeps volumes when it is deleted", async () => {
    for (const pvcPolicy of ["Delete", "Retain"] as const)
      assert.deepEqual((await rendered({ pvcPolicy })).spec?.persistentVolumeClaimRetentionPolicy, {
        whenScaled: pvcPolicy,
        whenDeleted: "Retain",
      });
  });

  it("claims one volume per member, of the configured size and class", async () => {
    const [claim] =
      (await rendered({ storage: { size: "20Gi", className: "ssd" } })).spec
        ?.volumeClaimTemplates ?? [];
    assert.equal(claim.metadata?.name, "data");
    assert.deepEqual(claim.spec, {
      accessModes: ["ReadWriteOnce"],
      storageClassName: "ssd",
      resources: { requests: { storage: "20Gi" } },
    });
    const [defaultClass] = (await rendered()).spec?.volumeClaimTemplates ?? [];
    assert.ok(!("storageClassName" in (defaultClass.spec ?? {})));
    assert.deepEqual(defaultClass.spec?.resources, { requests: { storage: "8Gi" } });
  });

  it("selects its pods by fixed labels and keeps user labels out of the claim template", async () => {
    const set = await rendered({ labels: { team: "platform" }, annotations: { "x.io/a": "b" } });
    const selector = { "app.kubernetes.io/name": "etcd", "app.kubernetes.io/instance": "etcd" };
    assert.deepEqual(set.spec?.selector, { matchLabels: selector });
    assert.deepEqual(set.spec?.template.metadata?.labels, {
      team: "platform",
      ...selector,
      "app.kubernetes.io/managed-by": "pulumi",
    });
    assert.deepEqual(set.spec?.template.metadata?.annotations, { "x.io/a": "b" });
    assert.deepEqual(set.spec?.volumeClaimTemplates?.[0].metadata?.labels, selector);
    assert.equal(set.metadata?.labels?.team, "platform");
    assert.deepEqual(set.metadata?.annotations, {
      "x.io/a": "b",
      "pulumi.com/skipAwait": "true",
    });
  });

  it("gives the pod template no annotations map when the user sets none", async () => {
    const set = await rendered();
    assert.ok(!("annotations" in (set.spec?.template.metadata ?? {})));
  });
});
