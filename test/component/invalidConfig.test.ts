import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { isValidationError } from "../../model/config/rules";
import { recordRegistrations, settle } from "../support/pulumiMocks";

describe("the program with a bad stack config", () => {
  it("refuses every bad value at once and registers nothing", async () => {
    const registrations = await recordRegistrations("etcd-k8s", "dev");
    pulumi.runtime.setAllConfig({
      "etcd-k8s:size": "4.5",
      "etcd-k8s:namespace": "Etcd",
      "etcd-k8s:antiAffinty": "required",
      "etcd-k8s:storage": '{"size":"1GB"}',
    });
    await assert.rejects(import("../.."), (error: unknown) => {
      assert.ok(isValidationError(error));
      assert.deepEqual(
        error.violations.map((v) => v.key),
        ["antiAffinty", "size", "namespace", "storage.size"],
      );
      assert.match(error.message, /^Stack "dev" config of etcd-k8s: 4 invalid value\(s\):/);
      return true;
    });
    await settle();
    assert.deepEqual(registrations, []);
  });
});
