import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { networkPolicyArgs } from "../../components/builders/networkPolicy";
import { checkClusterArgs } from "../../model/config/settings";
import { validateKubernetesObject } from "../support/kubernetesSchema";
import { asNetworkPolicy } from "../support/render";
import { settingsFor } from "../support/settings";

const SELECTOR = { "app.kubernetes.io/name": "etcd", "app.kubernetes.io/instance": "etcd" };
const SOURCE_RULE =
  'must be a map with podSelector, namespaceSelector or both, such as [{"namespaceSelector": {"team": "api"}, "podSelector": {"role": "server"}}]';
const CIDR_RULE =
  'must be an IPv4 or IPv6 network in CIDR notation, such as "10.20.0.0/16" or "fd00::/64"';
const LABEL_KEY_RULE =
  "keys must be a name of at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, optionally after a DNS subdomain prefix and '/' (e.g. example.com/team)";
const LABEL_VALUE_RULE =
  "label values must be a string of at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, or empty";

function refusals(networkPolicy: unknown): string[] {
  return checkClusterArgs({ size: 3, networkPolicy } as never, "etcd").violations.map(
    (v) => v.message,
  );
}

describe("networkPolicy settings", () => {
  it("is off by default, with nobody admitted", () => {
    assert.deepEqual(settingsFor().networkPolicy, {
      enabled: false,
      clientSelectors: [],
      metricsSelectors: [],
      providerCIDRs: [],
    });
  });

  it("refuses a value that is not a map, and unknown keys", () => {
    assert.deepEqual(refusals(true), [
      'networkPolicy: true is not allowed; must be a map such as {"enabled": true, "clientSelectors": [{"namespaceSelector": {"team": "api"}, "podSelector": {"role": "server"}}]}',
    ]);
    assert.deepEqual(refusals({ enable: true }), [
      "networkPolicy.enable: true is not allowed; unknown key; networkPolicy takes enabled, clientSelectors, metricsSelectors, providerCIDRs",
    ]);
    assert.deepEqual(refusals({ enabled: "yes" }), [
      'networkPolicy.enabled: "yes" is not allowed; must be true or false',
    ]);
  });

  it("refuses selectors that are not lists of label selectors, naming the entry", () => {
    assert.deepEqual(refusals({ clientSelectors: { team: "api" } }), [
      'networkPolicy.clientSelectors: {"team":"api"} is not allowed; must be a list such as [{"namespaceSelector": {"team": "api"}, "podSelector": {"role": "server"}}]',
    ]);
    assert.deepEqual(refusals({ metricsSelectors: [{}, "monitoring"] }), [
      `networkPolicy.metricsSelectors[0]: {} is not allowed; ${SOURCE_RULE}`,
      `networkPolicy.metricsSelectors[1]: "monitoring" is not allowed; ${SOURCE_RULE}`,
    ]);
    assert.deepEqual(refusals({ clientSelectors: [{ podSelector: { app: "x" }, ipBlock: {} }] }), [
      "networkPolicy.clientSelectors[0].ipBlock: {} is not allowed; unknown key; networkPolicy.clientSelectors entries take podSelector, namespaceSelector",
    ]);
  });

  it("checks selector labels like any label", () => {
    assert.deepEqual(
      refusals({
        clientSelectors: [{ podSelector: { "bad key!": "x", role: "no spaces" } }],
        metricsSelectors: [{ namespaceSelector: "monitoring" }],
      }),
      [
        `networkPolicy.clientSelectors[0].podSelector: "bad key!" is not allowed; ${LABEL_KEY_RULE}`,
        `networkPolicy.clientSelectors[0].podSelector["role"]: "no spaces" is not allowed; ${LABEL_VALUE_RULE}`,
        'networkPolicy.metricsSelectors[0].namespaceSelector: "monitoring" is not allowed; must be a map of labels such as {"team": "api"}',
      ],
    );
  });

  it("takes IPv4 and IPv6 CIDRs for the provider and refuses anything else", () => {
    assert.deepEqual(refusals({ providerCIDRs: ["10.20.0.0/16", "fd00::/64", "1.2.3.4/32"] }), []);
    assert.deepEqual(
      refusals({ providerCIDRs: ["10.20.0.0", "10.20.0.0/33", "fd00::/129", "runner", 7] }),
      [
        `networkPolicy.providerCIDRs[0]: "10.20.0.0" is not allowed; ${CIDR_RULE}`,
        `networkPolicy.providerCIDRs[1]: "10.20.0.0/33" is not allowed; ${CIDR_RULE}`,
        `networkPolicy.providerCIDRs[2]: "fd00::/129" is not allowed; ${CIDR_RULE}`,
        `networkPolicy.providerCIDRs[3]: "runner" is not allowed; ${CIDR_RULE}`,
        `networkPolicy.providerCIDRs[4]: 7 is not allowed; ${CIDR_RULE}`,
      ],
    );
    assert.deepEqual(refusals({ providerCIDRs: "10.0.0.0/8" }), [
      'networkPolicy.providerCIDRs: "10.0.0.0/8" is not allowed; must be a list of CIDRs such as ["10.20.0.0/16"]',
    ]);
  });
});

describe("the NetworkPolicy", () => {
  it("admits only members on the peer port and nobody else when no source is configured", () => {
    const policy = asNetworkPolicy(
      networkPolicyArgs(settingsFor({ networkPolicy: { enabled: true } })),
    );
    validateKubernetesObject(policy);
    assert.equal(policy.metadata?.name, "etcd");
    assert.equal(policy.metadata?.namespace, "etcd");
    assert.deepEqual(policy.spec, {
      podSelector: { matchLabels: SELECTOR },
      policyTypes: ["Ingress"],
      // No rule with an empty `from` (which would admit everyone) for the client and metrics ports.
      ingress: [
        {
          from: [{ podSelector: { matchLabels: SELECTOR } }],
          ports: [{ port: 2380, protocol: "TCP" }],
        },
      ],
    });
  });

  it("admits the configured sources on the client and metrics ports, the provider's CIDRs on the client port", () => {
    const policy = asNetworkPolicy(
      networkPolicyArgs(
        settingsFor({
          clusterName: "orders",
          namespace: "data",
          labels: { team: "platform" },
          networkPolicy: {
            enabled: true,
            clientSelectors: [
              { podSelector: { role: "api" } },
              { namespaceSelector: { env: "prod" }, podSelector: { "etcd-client": "true" } },
            ],
            metricsSelectors: [
              { namespaceSelector: { "kubernetes.io/metadata.name": "monitoring" } },
            ],
            providerCIDRs: ["10.20.0.0/16"],
          },
        }),
      ),
    );
    validateKubernetesObject(policy);
    const own = { "app.kubernetes.io/name": "etcd", "app.kubernetes.io/instance": "orders" };
    assert.equal(policy.metadata?.labels?.team, "platform");
    assert.deepEqual(policy.spec?.podSelector, { matchLabels: own });
    assert.deepEqual(policy.spec?.ingress, [
      { from: [{ podSelector: { matchLabels: own } }], ports: [{ port: 2380, protocol: "TCP" }] },
      {
        from: [
          { podSelector: { matchLabels: { role: "api" } } },
          {
            podSelector: { matchLabels: { "etcd-client": "true" } },
            namespaceSelector: { matchLabels: { env: "prod" } },
          },
          { ipBlock: { cidr: "10.20.0.0/16" } },
        ],
        ports: [{ port: 2379, protocol: "TCP" }],
      },
      {
        from: [
          { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } },
        ],
        ports: [{ port: 2381, protocol: "TCP" }],
      },
    ]);
  });

  it("fails the schema check on a misspelled field", () => {
    const policy = asNetworkPolicy(
      networkPolicyArgs(settingsFor({ networkPolicy: { enabled: true } })),
    );
    const misspelled = { ...policy, spec: { ...policy.spec, policyType: ["Ingress"] } };
    assert.throws(
      () => validateKubernetesObject(misspelled),
      /unknown fields: NetworkPolicy\.spec\.policyType/,
    );
  });
});
