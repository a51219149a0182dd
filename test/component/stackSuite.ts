/**
 * The whole program (index.ts) run under Pulumi mocks with one real stack file, and everything it
 * registers checked object by object. Each stack's test file calls `describeStack` once, so each
 * runs in its own process with fresh Pulumi runtime state.
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import type { IStatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { IService } from "kubernetes-models/v1/Service";
import { ETCD_CLUSTER_TYPE } from "../../components/etcdCluster";
import { expandEnvironment } from "../support/environment";
import { validateKubernetesObject } from "../support/kubernetesSchema";
import {
  type Registration,
  SECRET_SIGNATURE,
  SIGNATURE_KEY,
  find,
  inputsOf,
  outputValue,
  recordRegistrations,
  settle,
} from "../support/pulumiMocks";
import { projectName, stackConfig } from "../support/stackFiles";

export interface StackExpectations {
  size: number;
  namespace: string;
  antiAffinity: "preferred" | "required";
  storage: { size: string; className?: string };
  resources: object;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** etcd authentication on (the test supplies the secret password the stack file leaves out). */
  auth: boolean;
  /** The `from` entries of the client and metrics rules; absent when the stack emits no policy. */
  networkPolicy?: { client: object[]; metrics: object[] };
  /** The cert-manager issuer of the stack's certificates; absent when TLS is off. */
  tlsIssuer?: { name: string; kind: string };
}

const SELECTOR = { "app.kubernetes.io/name": "etcd", "app.kubernetes.io/instance": "etcd" };
const TYPES = {
  namespace: "kubernetes:core/v1:Namespace",
  service: "kubernetes:core/v1:Service",
  statefulSet: "kubernetes:apps/v1:StatefulSet",
  budget: "kubernetes:policy/v1:PodDisruptionBudget",
  membership: "pulumi-nodejs:dynamic/etcd:Membership",
  networkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
  certificate: "kubernetes:cert-manager.io/v1:Certificate",
};
const CERTIFICATES = ["etcd-server", "etcd-peer", "etcd-client"];

interface ProgramRun {
  registrations: Registration[];
  outputs: Record<string, unknown>;
}

/** What `pulumi config set --secret --path auth.rootPassword` would add, as the CLI passes it. */
export const TEST_ROOT_PASSWORD = "stack-test-root-password";

function withRootPassword(config: Record<string, string>, key: string): Record<string, string> {
  if (!(key in config)) return config;
  const auth = JSON.parse(config[key]) as Record<string, unknown>;
  return { ...config, [key]: JSON.stringify({ ...auth, rootPassword: TEST_ROOT_PASSWORD }) };
}

async function runProgram(stack: string): Promise<ProgramRun> {
  const project = projectName();
  const registrations = await recordRegistrations(project, stack);
  const authKey = `${project}:auth`;
  pulumi.runtime.setAllConfig(withRootPassword(stackConfig(stack), authKey), [authKey]);
  const program = (await import("../..")) as unknown as Record<string, unknown>;
  const outputs: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(program))
    if (pulumi.Output.isInstance(value)) outputs[name] = await outputValue(value);
  await settle();
  return { registrations, outputs };
}

export function describeStack(stack: string, expected: StackExpectations): void {
  describe(`the program with Pulumi.${stack}.yaml`, () => {
    let run: ProgramRun;
    let component: Registration;
    let statefulSet: IStatefulSet;
    before(async () => {
      run = await runProgram(stack);
      component = find(run.registrations, ETCD_CLUSTER_TYPE, "etcd");
      statefulSet = inputsOf<IStatefulSet>(run.registrations, TYPES.statefulSet, "etcd");
    });
    const service = (name: string) => inputsOf<IService>(run.registrations, TYPES.service, name);
    const children = () => run.registrations.filter((r) => r !== component);
    const kubernetesObjects = () => children().filter((r) => r.type.startsWith("kubernetes:"));
    const scheme = expected.tlsIssuer ? "https" : "http";

    it("registers the component, its objects and the membership resource", () => {
      assert.deepEqual(
        run.registrations.map((r) => `${r.type} ${r.name}`).sort(),
        [
          `${ETCD_CLUSTER_TYPE} etcd`,
          `${TYPES.statefulSet} etcd`,
          `${TYPES.service} etcd-client`,
          `${TYPES.service} etcd-peer`,
          `${TYPES.namespace} ${expected.namespace}`,
          `${TYPES.budget} etcd`,
          `${TYPES.membership} etcd-membership`,
          ...(expected.networkPolicy ? [`${TYPES.networkPolicy} etcd`] : []),
          ...(expected.tlsIssuer ? CERTIFICATES.map((c) => `${TYPES.certificate} ${c}`) : []),
        ].sort(),
      );
      assert.equal(component.custom, false);
    });

    it("parents every object to the component", () => {
      assert.equal(component.parent, "");
      for (const child of children()) {
        assert.equal(child.parent, component.urn, `${child.type} ${child.name}`);
        assert.ok(child.urn.includes(`::${ETCD_CLUSTER_TYPE}$${child.type}::`), child.urn);
      }
    });

    it("creates the namespace first and keeps it on destroy", () => {
      const namespace = find(run.registrations, TYPES.namespace, expected.namespace);
      assert.equal(namespace.retainOnDelete, true);
      for (const child of children().filter((r) => r !== namespace))
        assert.ok(child.dependencies.includes(namespace.urn), `${child.type} ${child.name}`);
    });

    it("renders every object valid against the Kubernetes schema", () => {
      // cert-manager's Certificates have no schema here; their fields are checked one by one below.
      for (const child of kubernetesObjects().filter((r) => r.type !== TYPES.certificate))
        validateKubernetesObject(child.inputs);
    });

    it("labels and annotates every object as configured", () => {
      for (const child of kubernetesObjects()) {
        const metadata = child.inputs.metadata as {
          labels: Record<string, string>;
          annotations: Record<string, string>;
          namespace?: string;
        };
        assert.deepEqual(metadata.labels, {
          ...expected.labels,
          ...SELECTOR,
          "app.kubernetes.io/managed-by": "pulumi",
        });
        for (const [key, value] of Object.entries(expected.annotations))
          assert.equal(metadata.annotations[key], value);
        // The API server keeps no empty map: an empty one would differ from the live object at
        // every preview.
        assert.notDeepEqual(metadata.annotations, {}, `${child.name}: an empty annotations map`);
        if (child.type !== TYPES.namespace) assert.equal(metadata.namespace, expected.namespace);
      }
    });

    it("exports the endpoint, names, namespace, size and the membership outputs", () => {
      const { members, leader, memberStatus, latestSnapshot, ...fixed } = run.outputs;
      assert.deepEqual(fixed, {
        clientEndpoint: `${scheme}://etcd-client.${expected.namespace}.svc.cluster.local:2379`,
        peerServiceName: "etcd-peer",
        statefulSetName: "etcd",
        namespace: expected.namespace,
        size: expected.size,
      });
      // Under mocks the membership resource's state is its inputs; the live values come from the
      // provider (covered by the provider and end-to-end tests).
      assert.deepEqual(
        [members, leader, memberStatus, latestSnapshot],
        [undefined, undefined, undefined, undefined],
      );
      assert.ok(
        ["members", "leader", "memberStatus", "latestSnapshot"].every((k) => k in run.outputs),
      );
    });

    it("hands membership to the provider after the StatefulSet and the peer Service", () => {
      const membership = find(run.registrations, TYPES.membership, "etcd-membership");
      const statefulSetUrn = find(run.registrations, TYPES.statefulSet, "etcd").urn;
      const peerUrn = find(run.registrations, TYPES.service, "etcd-peer").urn;
      assert.ok(membership.dependencies.includes(statefulSetUrn));
      assert.ok(membership.dependencies.includes(peerUrn));
      assert.equal(membership.custom, true);
      const { __provider, __urn, ...inputs } = membership.inputs;
      assert.equal(__urn, membership.urn, "its own URN, so its progress is shown under it");
      assert.deepEqual(
        Object.fromEntries(Object.entries(inputs).filter(([, v]) => v !== undefined)),
        {
          clusterName: "etcd",
          namespace: expected.namespace,
          owner: `etcd-k8s/${stack}/etcd`,
          clusterDomain: "cluster.local",
          size: expected.size,
          volumePolicy: "Delete",
          access: "port-forward",
          fixedAtCreation: {
            "storage.size": expected.storage.size,
            "storage.className": expected.storage.className ?? "(cluster default)",
            "tls.enabled": String(expected.tlsIssuer !== undefined),
          },
          ...(expected.tlsIssuer ? { tls: { clientSecret: "etcd-client-tls" } } : {}),
          // Snapshots are on by default, in the project directory (the program's working directory).
          snapshots: { directory: path.resolve("snapshots", stack, "etcd"), keep: 5 },
          // The mocks see what the engine would: the password wrapped as a secret.
          ...(expected.auth
            ? { rootPassword: { [SIGNATURE_KEY]: SECRET_SIGNATURE, value: TEST_ROOT_PASSWORD } }
            : {}),
        },
      );
      // The provider is serialized with its npm modules required, not inlined, and no kubeconfig.
      assert.equal(typeof __provider, "string");
      assert.match(String(__provider), /require\("etcd3/);
      assert.match(String(__provider), /require\("@kubernetes\/client-node"\)/);
    });

    it("keeps the root password secret: a secret input, a secret output, not in the provider", () => {
      const membership = find(run.registrations, TYPES.membership, "etcd-membership");
      assert.deepEqual(membership.additionalSecretOutputs, ["kubeconfig", "rootPassword"]);
      assert.deepEqual(membership.secretInputs, expected.auth ? ["rootPassword"] : []);
      assert.ok(!String(membership.inputs.__provider).includes(TEST_ROOT_PASSWORD));
      assert.ok(
        !JSON.stringify(run.outputs).includes(TEST_ROOT_PASSWORD),
        "no stack output has it",
      );
    });

    it("publishes peers before they are ready and serves clients on 2379", () => {
      const peer = service("etcd-peer");
      assert.equal(peer.spec?.clusterIP, "None");
      assert.equal(peer.spec?.publishNotReadyAddresses, true);
      assert.deepEqual(peer.spec?.selector, SELECTOR);
      assert.deepEqual(
        peer.spec?.ports?.map((p) => [p.name, p.port]),
        [
          ["client", 2379],
          ["peer", 2380],
        ],
      );
      const client = service("etcd-client");
      assert.equal(client.spec?.type, "ClusterIP");
      assert.deepEqual(client.spec?.ports, [{ name: "client", port: 2379, targetPort: "client" }]);
    });

    it("never replaces the StatefulSet over a field Kubernetes cannot change", () => {
      const registration = find(run.registrations, TYPES.statefulSet, "etcd");
      assert.deepEqual(registration.ignoreChanges, [
        "spec.volumeClaimTemplates",
        "spec.selector",
        "spec.serviceName",
        "spec.podManagementPolicy",
      ]);
    });

    it("leaves the replica count to the membership provider", () => {
      assert.ok(statefulSet.spec);
      assert.ok(!("replicas" in statefulSet.spec));
      assert.equal(statefulSet.metadata?.annotations?.["pulumi.com/skipAwait"], "true");
      assert.equal(statefulSet.spec.podManagementPolicy, "Parallel");
      assert.equal(statefulSet.spec.serviceName, "etcd-peer");
    });

    it("keeps volumes when the StatefulSet is deleted and deletes a removed member's", () => {
      assert.deepEqual(statefulSet.spec?.persistentVolumeClaimRetentionPolicy, {
        whenScaled: "Delete",
        whenDeleted: "Retain",
      });
      const [claim] = statefulSet.spec?.volumeClaimTemplates ?? [];
      assert.equal(claim.metadata?.name, "data");
      assert.deepEqual(claim.spec?.resources?.requests, { storage: expected.storage.size });
      assert.equal(claim.spec?.storageClassName, expected.storage.className);
    });

    it("configures each member with its own stable URLs in this namespace", () => {
      const [container] = statefulSet.spec?.template.spec?.containers ?? [];
      for (let ordinal = 0; ordinal < expected.size; ordinal++) {
        const env = expandEnvironment(container.env ?? [], `etcd-${ordinal}`);
        const host = `etcd-${ordinal}.etcd-peer.${expected.namespace}.svc.cluster.local`;
        assert.equal(env.ETCD_NAME, `etcd-${ordinal}`);
        assert.equal(env.ETCD_INITIAL_ADVERTISE_PEER_URLS, `${scheme}://${host}:2380`);
        assert.equal(env.ETCD_ADVERTISE_CLIENT_URLS, `${scheme}://${host}:2379`);
        assert.equal(env.ETCD_LISTEN_METRICS_URLS, "http://0.0.0.0:2381");
        assert.equal(env.ETCD_INITIAL_CLUSTER_TOKEN, undefined, "the token comes from the record");
      }
      assert.deepEqual(container.envFrom, [{ configMapRef: { name: "etcd-join" } }]);
      assert.equal(container.image, "gcr.io/etcd-development/etcd:v3.5.35");
      assert.deepEqual(container.resources, expected.resources);
    });

    it(
      expected.tlsIssuer
        ? "issues three certificates through cert-manager, mounts two, and gives the provider the third"
        : "emits no Certificate and mounts no certificate",
      () => {
        const certificates = run.registrations.filter((r) => r.type === TYPES.certificate);
        const volumes = statefulSet.spec?.template.spec?.volumes ?? [];
        if (!expected.tlsIssuer) {
          assert.deepEqual([certificates, volumes], [[], []]);
          return;
        }
        const membership = find(run.registrations, TYPES.membership, "etcd-membership");
        for (const certificate of certificates) {
          const spec = certificate.inputs.spec as { issuerRef: object; secretName: string };
          assert.deepEqual(spec.issuerRef, { ...expected.tlsIssuer, group: "cert-manager.io" });
          assert.equal(spec.secretName, `${certificate.name}-tls`);
          assert.ok(membership.dependencies.includes(certificate.urn), certificate.name);
        }
        assert.deepEqual(
          volumes.map((v) => [v.name, v.secret?.secretName]),
          [
            ["server-tls", "etcd-server-tls"],
            ["peer-tls", "etcd-peer-tls"],
          ],
        );
      },
    );

    it("probes /livez and /readyz on the metrics port", () => {
      const [container] = statefulSet.spec?.template.spec?.containers ?? [];
      assert.equal(container.startupProbe?.httpGet?.path, "/livez");
      assert.equal(container.livenessProbe?.httpGet?.path, "/livez");
      assert.equal(container.readinessProbe?.httpGet?.path, "/readyz");
      for (const probe of [
        container.startupProbe,
        container.livenessProbe,
        container.readinessProbe,
      ])
        assert.equal(probe?.httpGet?.port, "metrics");
      assert.ok(container.ports?.some((p) => p.name === "metrics" && p.containerPort === 2381));
    });

    it(`spreads members over nodes (${expected.antiAffinity})`, () => {
      const antiAffinity = statefulSet.spec?.template.spec?.affinity?.podAntiAffinity;
      const terms =
        expected.antiAffinity === "required"
          ? antiAffinity?.requiredDuringSchedulingIgnoredDuringExecution
          : antiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.map(
              (p) => p.podAffinityTerm,
            );
      assert.deepEqual(terms, [
        { labelSelector: { matchLabels: SELECTOR }, topologyKey: "kubernetes.io/hostname" },
      ]);
    });

    it("keeps a quorum through voluntary disruptions", () => {
      const budget = inputsOf<IPodDisruptionBudget>(run.registrations, TYPES.budget, "etcd");
      assert.equal(budget.spec?.minAvailable, "51%");
      assert.deepEqual(budget.spec?.selector, {
        matchLabels: { ...SELECTOR, "etcd-k8s.io/voter": "true" },
      });
      const percent = Number(String(budget.spec?.minAvailable).replace(/%$/, ""));
      assert.equal(Math.ceil((percent * expected.size) / 100), Math.floor(expected.size / 2) + 1);
    });

    it(
      expected.networkPolicy
        ? "admits peers from members only, clients and metrics from the configured sources"
        : "emits no NetworkPolicy",
      () => {
        const policies = run.registrations.filter((r) => r.type === TYPES.networkPolicy);
        if (!expected.networkPolicy) {
          assert.deepEqual(policies, []);
          return;
        }
        const policy = inputsOf<INetworkPolicy>(run.registrations, TYPES.networkPolicy, "etcd");
        assert.deepEqual(policy.spec?.podSelector, { matchLabels: SELECTOR });
        assert.deepEqual(policy.spec?.policyTypes, ["Ingress"]);
        assert.deepEqual(policy.spec?.ingress, [
          {
            from: [{ podSelector: { matchLabels: SELECTOR } }],
            ports: [{ port: 2380, protocol: "TCP" }],
          },
          { from: expected.networkPolicy.client, ports: [{ port: 2379, protocol: "TCP" }] },
          { from: expected.networkPolicy.metrics, ports: [{ port: 2381, protocol: "TCP" }] },
        ]);
      },
    );
  });
}
