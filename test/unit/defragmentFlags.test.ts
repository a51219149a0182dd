import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import {
  ROOT_PASSWORD_ENV,
  parseDefragmentFlags,
  securityFromEnvironment,
} from "../../operations/defragmentCli";

describe("npm run defrag flags", () => {
  it("defaults to the stack config's defaults", () => {
    assert.deepEqual(parseDefragmentFlags([]), {
      clusterName: "etcd",
      namespace: "etcd",
      clusterDomain: "cluster.local",
      access: "port-forward",
    });
  });

  it("takes the provider's access settings", () => {
    const template = "https://{name}.etcd.example.com:2379";
    assert.deepEqual(
      parseDefragmentFlags([
        "--namespace=etcd-prod",
        "--cluster-name=orders",
        "--access=endpoints",
        `--endpoint-template=${template}`,
      ]),
      {
        clusterName: "orders",
        namespace: "etcd-prod",
        clusterDomain: "cluster.local",
        access: "endpoints",
        endpointTemplate: template,
      },
    );
  });

  it("takes the client certificate's Secret for a cluster with TLS", () => {
    assert.deepEqual(parseDefragmentFlags(["--tls-client-secret", "etcd-client-tls"]).tls, {
      clientSecret: "etcd-client-tls",
    });
    assert.throws(() => parseDefragmentFlags(["--tls-client-secret", "Not_A_Name"]), {
      message:
        "npm run defrag: 1 invalid value(s):\n" +
        "  - --tls-client-secret: \"Not_A_Name\" is not allowed; must be a DNS-1123 subdomain: dot-separated lowercase labels of letters, digits and '-', at most 253 characters",
    });
  });

  it("refuses bad values with the stack config's messages, all at once", () => {
    assert.throws(
      () =>
        parseDefragmentFlags(["--namespace", "Prod", "--access", "pod", "--cluster-name", "9x_"]),
      {
        message:
          "npm run defrag: 3 invalid value(s):\n" +
          "  - --cluster-name: \"9x_\" is not allowed; must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 52 characters\n" +
          "  - --namespace: \"Prod\" is not allowed; must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters\n" +
          '  - --access: "pod" is not allowed; must be one of "port-forward", "pod-ip", "endpoints"',
      },
    );
    assert.throws(() => parseDefragmentFlags(["--size", "3"]), /Unknown option '--size'/);
  });
});

describe("npm run defrag credentials", () => {
  it("takes root's password from ETCD_K8S_ROOT_PASSWORD only", () => {
    assert.equal(ROOT_PASSWORD_ENV, "ETCD_K8S_ROOT_PASSWORD");
    assert.deepEqual(securityFromEnvironment({}), {});
    assert.deepEqual(securityFromEnvironment({ ETCD_K8S_ROOT_PASSWORD: "from-the-environment" }), {
      auth: { username: "root", password: "from-the-environment" },
    });
  });
});
