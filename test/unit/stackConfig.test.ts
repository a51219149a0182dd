import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { type ValidationError, isValidationError } from "../../model/config/rules";
import { parseStackConfig } from "../../components/stackConfig";
import { CONFIG_KEYS } from "../../model/config/settings";

const parse = (config: Record<string, string>) => parseStackConfig(config, "etcd-k8s", "dev");

function refusal(config: Record<string, string>): ValidationError {
  try {
    parse(config);
  } catch (error) {
    assert.ok(isValidationError(error), String(error));
    return error;
  }
  assert.fail("the config was accepted");
}

describe("stack config", () => {
  it("decodes the text the Pulumi CLI passes: numbers, booleans and JSON maps", () => {
    const settings = parse({
      "etcd-k8s:size": "3",
      "etcd-k8s:createNamespace": "false",
      "etcd-k8s:namespace": "default",
      "etcd-k8s:storage": '{"size":"2Gi","className":"ssd"}',
      "etcd-k8s:resources": '{"requests":{"cpu":"1"}}',
      "etcd-k8s:labels": '{"team":"platform"}',
      "etcd-k8s:annotations": '{"example.com/owner":"me"}',
      "etcd-k8s:antiAffinity": "required",
    });
    assert.equal(settings.size, 3);
    assert.equal(settings.createNamespace, false);
    assert.deepEqual(settings.storage, { size: "2Gi", className: "ssd" });
    assert.deepEqual(settings.resources, { requests: { cpu: "1" } });
    assert.deepEqual(settings.labels, { team: "platform" });
    assert.deepEqual(settings.annotations, { "example.com/owner": "me" });
    assert.equal(settings.antiAffinity, "required");
  });

  it("names the cluster etcd unless clusterName says otherwise", () => {
    assert.equal(parse({ "etcd-k8s:size": "1" }).clusterName, "etcd");
    assert.equal(
      parse({ "etcd-k8s:size": "1", "etcd-k8s:clusterName": "orders" }).clusterName,
      "orders",
    );
  });

  it("leaves the keys of other namespaces to their owners", () => {
    const settings = parse({ "etcd-k8s:size": "1", "kubernetes:context": "kind-dev" });
    assert.equal(settings.size, 1);
  });

  it("requires size", () => {
    assert.deepEqual(
      refusal({}).violations.map((v) => v.message),
      [
        "size: (missing) is not allowed; must be a whole number from 1 to 9 (odd sizes tolerate the most failures per member)",
      ],
    );
  });

  it("shows values that do not decode exactly as they were written", () => {
    const messages = refusal({
      "etcd-k8s:size": "three",
      "etcd-k8s:createNamespace": "yes",
      "etcd-k8s:storage": "1Gi",
    }).violations.map((v) => v.message);
    assert.deepEqual(messages, [
      'size: "three" is not allowed; must be a whole number from 1 to 9 (odd sizes tolerate the most failures per member)',
      'createNamespace: "yes" is not allowed; must be true or false',
      'storage: "1Gi" is not allowed; must be a map such as {"size": "8Gi", "className": "ssd"}',
    ]);
  });

  it("refuses an unknown key, naming it and listing the allowed keys", () => {
    assert.deepEqual(
      refusal({ "etcd-k8s:size": "3", "etcd-k8s:sise": "5" }).violations.map((v) => v.message),
      [`sise: "5" is not allowed; unknown key; the keys are ${CONFIG_KEYS.join(", ")}`],
    );
    assert.deepEqual(CONFIG_KEYS, [
      "clusterName",
      "size",
      "namespace",
      "createNamespace",
      "image",
      "storage",
      "resources",
      "antiAffinity",
      "pvcPolicy",
      "clientServiceType",
      "clusterDomain",
      "labels",
      "annotations",
      "access",
      "endpointTemplate",
      "networkPolicy",
      "snapshots",
      "tls",
      "auth",
      "replaceMembers",
    ]);
  });

  it("points a flat `storage.size` key to `pulumi config set --path`", () => {
    assert.deepEqual(
      refusal({ "etcd-k8s:size": "3", "etcd-k8s:storage.size": "1Gi" }).violations.map(
        (v) => v.message,
      ),
      [
        'storage.size: "1Gi" is not allowed; unknown key; to set a field of storage run: pulumi config set --path storage.size <value>',
      ],
    );
  });

  it("reports unknown keys and bad values together, under the stack's name", () => {
    const error = refusal({
      "etcd-k8s:size": "4.5",
      "etcd-k8s:replicas": "3",
      "etcd-k8s:antiAffinity": "hard",
    });
    assert.deepEqual(
      error.violations.map((v) => v.key),
      ["replicas", "size", "antiAffinity"],
    );
    assert.match(error.message, /^Stack "dev" config of etcd-k8s: 3 invalid value\(s\):\n {2}- /);
  });
});
