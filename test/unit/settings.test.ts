import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { isValidationError } from "../../model/config/rules";
import {
  type EtcdClusterArgs,
  checkClusterArgs,
  resolveClusterSettings,
} from "../../model/config/settings";

/** The messages of everything wrong with `args` on top of a valid size. */
function refusals(args: Partial<EtcdClusterArgs> | Record<string, unknown>): string[] {
  return checkClusterArgs({ size: 3, ...args } as EtcdClusterArgs, "etcd").violations.map(
    (v) => v.message,
  );
}

const SIZE_RULE =
  "must be a whole number from 1 to 9 (odd sizes tolerate the most failures per member)";
const LABEL_RULE = (max: number) =>
  `must be a DNS-1123 label: lowercase letters, digits and '-', starting and ending with a letter or digit, at most ${max} characters`;
const SUBDOMAIN_RULE =
  "must be a DNS-1123 subdomain: dot-separated lowercase labels of letters, digits and '-', at most 253 characters";
const QUANTITY_RULE =
  'must be a Kubernetes quantity such as "1Gi", "500Mi", "250m" or "2" (number, optional suffix Ki Mi Gi Ti Pi Ei m k M G T P E)';
const TEMPLATE_RULE =
  'must be an http:// or https:// client URL containing {ordinal} or {name}, e.g. "https://{name}.etcd.example.com:2379"; required when access is "endpoints"';

describe("cluster settings: defaults", () => {
  it("fills every default around the size", () => {
    const { settings, violations } = checkClusterArgs({ size: 3 }, "main");
    assert.deepEqual(violations, []);
    assert.deepEqual(settings, {
      size: 3,
      clusterName: "main",
      namespace: "etcd",
      createNamespace: true,
      image: "gcr.io/etcd-development/etcd:v3.5.35",
      storage: { size: "8Gi" },
      resources: { requests: { cpu: "100m", memory: "256Mi" } },
      antiAffinity: "preferred",
      pvcPolicy: "Delete",
      replaceMembers: [],
      clientServiceType: "ClusterIP",
      clusterDomain: "cluster.local",
      labels: {},
      annotations: {},
      access: "port-forward",
      networkPolicy: {
        enabled: false,
        clientSelectors: [],
        metricsSelectors: [],
        providerCIDRs: [],
      },
      snapshots: { enabled: true, keep: 5 },
      tls: { enabled: false },
      auth: { enabled: false },
    });
  });

  it("keeps every given value", () => {
    const args: EtcdClusterArgs = {
      size: 5,
      clusterName: "orders",
      namespace: "data",
      createNamespace: false,
      image: "quay.io/coreos/etcd:v3.6.4",
      storage: { size: "20Gi", className: "fast-ssd" },
      resources: { requests: { cpu: "1", memory: "2Gi" }, limits: { memory: "2Gi" } },
      antiAffinity: "required",
      pvcPolicy: "Retain",
      clientServiceType: "LoadBalancer",
      clusterDomain: "k8s.example.com",
      labels: { team: "platform" },
      annotations: { "example.com/owner": "me" },
      access: "endpoints",
      endpointTemplate: "https://{name}.etcd.example.com:2379",
      networkPolicy: {
        enabled: true,
        clientSelectors: [{ namespaceSelector: { team: "orders" } }],
        metricsSelectors: [{ namespaceSelector: {}, podSelector: { app: "prometheus" } }],
        providerCIDRs: ["10.20.0.0/16"],
      },
      snapshots: { enabled: false, directory: "/var/backups/etcd", keep: 9 },
      tls: {
        enabled: true,
        source: "secrets",
        secrets: { server: "orders-server", peer: "orders-peer", client: "orders-client" },
      },
      auth: { enabled: false },
      replaceMembers: ["8e9e05c52164694d"],
    };
    assert.deepEqual(checkClusterArgs(args, "ignored").settings, args);
  });

  it("refuses replaceMembers that are not member IDs, naming the value and what is allowed", () => {
    for (const value of ["8e9e05c52164694d", ["etcd-2"], ["8E9E"], ["a", "a"], [1]]) {
      const { violations } = checkClusterArgs(
        { size: 3, replaceMembers: value } as unknown as EtcdClusterArgs,
        "etcd",
      );
      assert.deepEqual(
        violations.map((v) => v.key),
        ["replaceMembers"],
        JSON.stringify(value),
      );
      assert.match(
        violations[0].message,
        /^replaceMembers: .* is not allowed; must be a list of at most 9 distinct member IDs in lower-case hex/,
      );
    }
  });

  it("reads numeric quantities as Kubernetes does", () => {
    const args = { size: 1, storage: { size: 2 }, resources: { limits: { cpu: 2 } } };
    const { settings } = checkClusterArgs(args as unknown as EtcdClusterArgs, "etcd");
    assert.deepEqual(settings?.storage, { size: "2" });
    assert.deepEqual(settings?.resources, { limits: { cpu: "2" } });
  });
});

describe("cluster settings: every rule, with its exact message", () => {
  it("size is a whole number from 1 to 9", () => {
    assert.deepEqual(refusals({ size: undefined }), [
      `size: (missing) is not allowed; ${SIZE_RULE}`,
    ]);
    assert.deepEqual(refusals({ size: 0 }), [`size: 0 is not allowed; ${SIZE_RULE}`]);
    assert.deepEqual(refusals({ size: 10 }), [`size: 10 is not allowed; ${SIZE_RULE}`]);
    assert.deepEqual(refusals({ size: 2.5 }), [`size: 2.5 is not allowed; ${SIZE_RULE}`]);
    assert.deepEqual(refusals({ size: "3" }), [`size: "3" is not allowed; ${SIZE_RULE}`]);
    for (const size of [1, 2, 9]) assert.deepEqual(refusals({ size }), []);
  });

  it("clusterName is a DNS label of at most 52 characters that starts with a letter", () => {
    assert.deepEqual(refusals({ clusterName: "Etcd_1" }), [
      `clusterName: "Etcd_1" is not allowed; ${LABEL_RULE(52)}`,
    ]);
    const long = "e".repeat(53);
    assert.deepEqual(refusals({ clusterName: long }), [
      `clusterName: "${long}" is not allowed; ${LABEL_RULE(52)}`,
    ]);
    assert.deepEqual(refusals({ clusterName: "1etcd" }), [
      'clusterName: "1etcd" is not allowed; must start with a letter: the Services named after the cluster must be DNS-1035 labels',
    ]);
    assert.deepEqual(refusals({ clusterName: "e".repeat(52) }), []);
  });

  it("namespace is a DNS label", () => {
    assert.deepEqual(refusals({ namespace: "Team A" }), [
      `namespace: "Team A" is not allowed; ${LABEL_RULE(63)}`,
    ]);
  });

  it("createNamespace is a boolean and never creates a built-in namespace", () => {
    assert.deepEqual(refusals({ createNamespace: "yes" }), [
      'createNamespace: "yes" is not allowed; must be true or false',
    ]);
    assert.deepEqual(refusals({ namespace: "kube-system" }), [
      'createNamespace: true is not allowed; must be false for namespace "kube-system", which every cluster already has',
    ]);
    assert.deepEqual(refusals({ namespace: "default", createNamespace: false }), []);
  });

  it("image is a pinned reference to etcd 3.5.11 or newer", () => {
    assert.deepEqual(refusals({ image: "not an image" }), [
      'image: "not an image" is not allowed; must be an image reference such as "gcr.io/etcd-development/etcd:v3.5.35"',
    ]);
    const pinned =
      'must be pinned: give a version tag (e.g. ":v3.5.35") or an "@sha256:" digest, never "latest"';
    assert.deepEqual(refusals({ image: "gcr.io/etcd-development/etcd" }), [
      `image: "gcr.io/etcd-development/etcd" is not allowed; ${pinned}`,
    ]);
    assert.deepEqual(refusals({ image: "etcd:latest" }), [
      `image: "etcd:latest" is not allowed; ${pinned}`,
    ]);
    assert.deepEqual(refusals({ image: "gcr.io/etcd-development/etcd:v3.5.10" }), [
      'image: "gcr.io/etcd-development/etcd:v3.5.10" is not allowed; must be etcd 3.5.11 or newer: the probes use /livez and /readyz (3.5.19 or newer also keeps a learner out of the client Service)',
    ]);
    for (const image of [
      "gcr.io/etcd-development/etcd:v3.5.11",
      "registry.example.com:5000/mirror/etcd:v3.6.0",
      "quay.io/coreos/etcd:custom-build",
      `etcd@sha256:${"a".repeat(64)}`,
    ])
      assert.deepEqual(refusals({ image }), [], image);
  });

  it("storage is a map of a positive size and a storage class name", () => {
    assert.deepEqual(refusals({ storage: "1Gi" }), [
      'storage: "1Gi" is not allowed; must be a map such as {"size": "8Gi", "className": "ssd"}',
    ]);
    assert.deepEqual(refusals({ storage: { sise: "1Gi" } }), [
      'storage.sise: "1Gi" is not allowed; unknown key; storage takes size, className',
    ]);
    assert.deepEqual(refusals({ storage: { size: "lots" } }), [
      `storage.size: "lots" is not allowed; ${QUANTITY_RULE}`,
    ]);
    assert.deepEqual(refusals({ storage: { size: "0Gi" } }), [
      'storage.size: "0Gi" is not allowed; must be greater than zero',
    ]);
    assert.deepEqual(refusals({ storage: { className: "Fast SSD" } }), [
      `storage.className: "Fast SSD" is not allowed; ${SUBDOMAIN_RULE}`,
    ]);
  });

  it("resources holds cpu and memory quantities, requests within limits", () => {
    const example =
      'must be a map such as {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"memory": "1Gi"}}';
    assert.deepEqual(refusals({ resources: ["1"] }), [
      `resources: ["1"] is not allowed; ${example}`,
    ]);
    assert.deepEqual(refusals({ resources: { request: {} } }), [
      "resources.request: {} is not allowed; unknown key; resources takes requests, limits",
    ]);
    assert.deepEqual(refusals({ resources: { limits: "1Gi" } }), [
      `resources.limits: "1Gi" is not allowed; ${example}`,
    ]);
    assert.deepEqual(refusals({ resources: { limits: { storage: "1Gi" } } }), [
      'resources.limits.storage: "1Gi" is not allowed; unknown key; resources.limits takes cpu, memory',
    ]);
    assert.deepEqual(refusals({ resources: { requests: { memory: "1 GB" } } }), [
      `resources.requests.memory: "1 GB" is not allowed; ${QUANTITY_RULE}`,
    ]);
    assert.deepEqual(
      refusals({ resources: { requests: { cpu: "1500m" }, limits: { cpu: "1" } } }),
      ['resources.requests.cpu: "1500m" is not allowed; must not exceed the limit "1"'],
    );
    assert.deepEqual(
      refusals({ resources: { requests: { memory: "1Gi" }, limits: { memory: "1024Mi" } } }),
      [],
    );
  });

  it("antiAffinity, pvcPolicy, clientServiceType and access are one of their choices", () => {
    assert.deepEqual(refusals({ antiAffinity: "soft" }), [
      'antiAffinity: "soft" is not allowed; must be one of "preferred", "required", "none"',
    ]);
    assert.deepEqual(refusals({ pvcPolicy: "delete" }), [
      'pvcPolicy: "delete" is not allowed; must be one of "Delete", "Retain"',
    ]);
    assert.deepEqual(refusals({ clientServiceType: "ExternalName" }), [
      'clientServiceType: "ExternalName" is not allowed; must be one of "ClusterIP", "NodePort", "LoadBalancer"',
    ]);
    assert.deepEqual(refusals({ access: "ssh" }), [
      'access: "ssh" is not allowed; must be one of "port-forward", "pod-ip", "endpoints"',
    ]);
  });

  it("clusterDomain is a DNS subdomain", () => {
    assert.deepEqual(refusals({ clusterDomain: "cluster.local." }), [
      `clusterDomain: "cluster.local." is not allowed; ${SUBDOMAIN_RULE}`,
    ]);
  });

  it("labels have valid keys and values and leave the selector labels alone", () => {
    assert.deepEqual(refusals({ labels: "team=platform" }), [
      'labels: "team=platform" is not allowed; must be a map such as {"team": "platform"}',
    ]);
    assert.deepEqual(refusals({ labels: { "-team": "platform" } }), [
      `labels: "-team" is not allowed; keys must be a name of at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, optionally after a DNS subdomain prefix and '/' (e.g. example.com/team)`,
    ]);
    assert.deepEqual(refusals({ labels: { "Example.com/team": "platform" } }).length, 1);
    assert.deepEqual(refusals({ labels: { "app.kubernetes.io/instance": "other" } }), [
      'labels: "app.kubernetes.io/instance" is not allowed; the component sets app.kubernetes.io/name, app.kubernetes.io/instance, app.kubernetes.io/managed-by itself to select its pods; use another key',
    ]);
    assert.deepEqual(refusals({ labels: { team: "platform team" } }), [
      `labels["team"]: "platform team" is not allowed; label values must be a string of at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, or empty`,
    ]);
    assert.deepEqual(refusals({ labels: { team: 7 } }).length, 1);
    assert.deepEqual(refusals({ labels: { "example.com/team": "", tier: "a.b_c-d" } }), []);
  });

  it("annotations have valid keys and string values", () => {
    assert.deepEqual(refusals({ annotations: { "a b": "x" } }).length, 1);
    assert.deepEqual(refusals({ annotations: { "example.com/retries": 3 } }), [
      'annotations["example.com/retries"]: 3 is not allowed; annotation values must be strings',
    ]);
    assert.deepEqual(refusals({ annotations: { "example.com/note": "any text: at all" } }), []);
  });

  it("endpointTemplate is required exactly with access endpoints, and is a URL template", () => {
    assert.deepEqual(refusals({ access: "endpoints" }), [
      `endpointTemplate: (missing) is not allowed; ${TEMPLATE_RULE}`,
    ]);
    assert.deepEqual(refusals({ endpointTemplate: "http://{name}:2379" }), [
      'endpointTemplate: "http://{name}:2379" is not allowed; only used when access is "endpoints" (access is "port-forward"); remove it or set access to "endpoints"',
    ]);
    for (const template of ["http://etcd:2379", "ftp://{name}:2379", "{name}:2379"])
      assert.deepEqual(refusals({ access: "endpoints", endpointTemplate: template }), [
        `endpointTemplate: ${JSON.stringify(template)} is not allowed; ${TEMPLATE_RULE}`,
      ]);
    assert.deepEqual(
      refusals({ access: "endpoints", endpointTemplate: "http://10.0.0.{ordinal}:2379" }),
      [],
    );
  });
});

describe("cluster settings: refusal", () => {
  it("reports every violation in one error and returns no settings", () => {
    const args = { size: 0, namespace: "A", pvcPolicy: "Keep" } as unknown as EtcdClusterArgs;
    assert.equal(checkClusterArgs(args, "etcd").settings, undefined);
    assert.throws(
      () => resolveClusterSettings('EtcdCluster "etcd"', args, "etcd"),
      (error: unknown) => {
        assert.ok(isValidationError(error));
        assert.deepEqual(
          error.violations.map((v) => v.key),
          ["size", "namespace", "pvcPolicy"],
        );
        assert.equal(
          error.message,
          [
            'EtcdCluster "etcd": 3 invalid value(s):',
            `  - size: 0 is not allowed; ${SIZE_RULE}`,
            `  - namespace: "A" is not allowed; ${LABEL_RULE(63)}`,
            '  - pvcPolicy: "Keep" is not allowed; must be one of "Delete", "Retain"',
          ].join("\n"),
        );
        return true;
      },
    );
  });
});
