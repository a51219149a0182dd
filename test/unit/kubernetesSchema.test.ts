import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { validateKubernetesObject } from "../support/kubernetesSchema";

const service = (spec: Record<string, unknown>) => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: "etcd-peer", labels: { a: "b" } },
  spec: { clusterIP: "None", ports: [{ name: "peer", port: 2380 }], ...spec },
});

describe("the schema check used on every rendered object", () => {
  it("accepts a valid object", () => {
    validateKubernetesObject(service({ publishNotReadyAddresses: true }));
  });

  it("refuses a misspelled field, at any depth", () => {
    assert.throws(
      () => validateKubernetesObject(service({ publishNotReadyAdresses: true })),
      /v1\/Service has unknown fields: Service\.spec\.publishNotReadyAdresses/,
    );
    assert.throws(
      () => validateKubernetesObject(service({ ports: [{ port: 2380, tragetPort: "peer" }] })),
      /unknown fields: Service\.spec\.ports\[0\]\.tragetPort/,
    );
  });

  it("refuses a wrongly typed value and a missing required field", () => {
    assert.throws(() => validateKubernetesObject(service({ ports: [{ port: "2380" }] })));
    assert.throws(() => validateKubernetesObject(service({ ports: [{ name: "peer" }] })));
  });

  it("refuses a kind it has no schema for rather than passing it", () => {
    assert.throws(
      () => validateKubernetesObject({ apiVersion: "v1", kind: "Secret" }),
      /no schema known for v1\/Secret/,
    );
  });
});
