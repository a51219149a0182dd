/** What TLS changes in the emitted objects: cert-manager Certificates, the pod's mounts and env. */
import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import type { IContainer } from "kubernetes-models/v1/Container";
import { certificateObjects } from "../../components/builders/certificates";
import { CONTAINER_NAME } from "../../components/builders/etcdContainer";
import { etcdPodSpec } from "../../components/builders/podSpec";
import { clusterIdentity } from "../../model/config/settings";
import * as naming from "../../model/naming";
import { expandEnvironment } from "../support/environment";
import { resolvePodSpec } from "../support/render";
import { settingsFor } from "../support/settings";

const CERT_MANAGER = {
  namespace: "data",
  clusterDomain: "k8s.example",
  tls: { enabled: true, issuer: { name: "etcd-ca" } },
};
const SECRETS = {
  tls: {
    enabled: true,
    source: "secrets" as const,
    secrets: { server: "my-server", peer: "my-peer", client: "my-client" },
  },
};

async function pod(args: Parameters<typeof settingsFor>[0]) {
  const spec = await resolvePodSpec(etcdPodSpec(settingsFor(args)));
  const container = spec.containers.find((c) => c.name === CONTAINER_NAME) as IContainer;
  return { spec, container, env: expandEnvironment(container.env ?? [], "etcd-1") };
}

describe("TLS objects", () => {
  it("asks cert-manager for server, peer and client certificates with every name they need", () => {
    const certificates = certificateObjects(settingsFor(CERT_MANAGER));
    const base = {
      issuerRef: { name: "etcd-ca", kind: "Issuer", group: "cert-manager.io" },
      privateKey: { algorithm: "ECDSA", size: 256, rotationPolicy: "Always" },
    };
    const peerNames = [
      "*.etcd-peer.data.svc.k8s.example",
      "*.etcd-peer.data.svc",
      "etcd-peer",
      "etcd-peer.data",
      "etcd-peer.data.svc",
      "etcd-peer.data.svc.k8s.example",
    ];
    const both = ["digital signature", "key encipherment", "server auth", "client auth"];
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(certificates).map(([role, c]) => [
          role,
          [c.apiVersion, c.kind, c.metadata.name, c.metadata.namespace],
        ]),
      ),
      {
        server: ["cert-manager.io/v1", "Certificate", "etcd-server", "data"],
        peer: ["cert-manager.io/v1", "Certificate", "etcd-peer", "data"],
        client: ["cert-manager.io/v1", "Certificate", "etcd-client", "data"],
      },
    );
    assert.deepEqual(certificates.server?.spec, {
      ...base,
      secretName: "etcd-server-tls",
      commonName: "etcd-client.data.svc",
      dnsNames: [
        "etcd-client",
        "etcd-client.data",
        "etcd-client.data.svc",
        "etcd-client.data.svc.k8s.example",
        ...peerNames,
        "localhost",
      ],
      ipAddresses: ["127.0.0.1"],
      usages: both,
    });
    assert.deepEqual(certificates.peer?.spec, {
      ...base,
      secretName: "etcd-peer-tls",
      commonName: "etcd-peer.data.svc",
      dnsNames: peerNames,
      usages: both,
    });
    assert.deepEqual(certificates.client?.spec, {
      ...base,
      secretName: "etcd-client-tls",
      commonName: "etcd-k8s-provider",
      usages: ["digital signature", "key encipherment", "client auth"],
    });
  });

  it("sets duration and renewBefore on every Certificate when tls asks for them", () => {
    const certificates = certificateObjects(
      settingsFor({
        ...CERT_MANAGER,
        tls: { ...CERT_MANAGER.tls, duration: "2m", renewBefore: "90s" },
      }),
    );
    for (const role of ["server", "peer", "client"] as const) {
      assert.equal(certificates[role]?.spec.duration, "2m");
      assert.equal(certificates[role]?.spec.renewBefore, "90s");
    }
  });

  it("emits no Certificate with user Secrets or without TLS", () => {
    assert.deepEqual(certificateObjects(settingsFor(SECRETS)), {});
    assert.deepEqual(certificateObjects(settingsFor()), {});
  });

  it("mounts the server and peer Secrets read-only and points etcd at them, with client certificates required", async () => {
    const { spec, container, env } = await pod(SECRETS);
    assert.deepEqual(spec.volumes, [
      { name: "server-tls", secret: { secretName: "my-server", defaultMode: 0o440 } },
      { name: "peer-tls", secret: { secretName: "my-peer", defaultMode: 0o440 } },
    ]);
    assert.deepEqual(container.volumeMounts, [
      { name: naming.DATA_VOLUME, mountPath: naming.DATA_MOUNT_PATH },
      { name: "server-tls", mountPath: "/etc/etcd/tls/server", readOnly: true },
      { name: "peer-tls", mountPath: "/etc/etcd/tls/peer", readOnly: true },
    ]);
    assert.deepEqual(
      Object.fromEntries(Object.entries(env).filter(([k]) => /CERT|KEY|CA_FILE/.test(k))),
      {
        ETCD_CERT_FILE: "/etc/etcd/tls/server/tls.crt",
        ETCD_KEY_FILE: "/etc/etcd/tls/server/tls.key",
        ETCD_TRUSTED_CA_FILE: "/etc/etcd/tls/server/ca.crt",
        ETCD_CLIENT_CERT_AUTH: "true",
        ETCD_PEER_CERT_FILE: "/etc/etcd/tls/peer/tls.crt",
        ETCD_PEER_KEY_FILE: "/etc/etcd/tls/peer/tls.key",
        ETCD_PEER_TRUSTED_CA_FILE: "/etc/etcd/tls/peer/ca.crt",
        ETCD_PEER_CLIENT_CERT_AUTH: "true",
      },
    );
  });

  it("serves clients and peers on https, metrics and probes on plain http", async () => {
    const settings = settingsFor(CERT_MANAGER);
    const identity = clusterIdentity(settings);
    const { container, env } = await pod(CERT_MANAGER);
    assert.equal(env.ETCD_LISTEN_CLIENT_URLS, "https://0.0.0.0:2379");
    assert.equal(env.ETCD_LISTEN_PEER_URLS, "https://0.0.0.0:2380");
    assert.equal(env.ETCD_LISTEN_METRICS_URLS, "http://0.0.0.0:2381");
    assert.equal(env.ETCD_INITIAL_ADVERTISE_PEER_URLS, naming.peerURL(identity, 1));
    assert.equal(
      env.ETCD_INITIAL_ADVERTISE_PEER_URLS,
      "https://etcd-1.etcd-peer.data.svc.k8s.example:2380",
    );
    assert.equal(env.ETCD_ADVERTISE_CLIENT_URLS, naming.memberClientURL(identity, 1));
    assert.equal(naming.clientEndpoint(identity), "https://etcd-client.data.svc.k8s.example:2379");
    for (const probe of [container.startupProbe, container.livenessProbe, container.readinessProbe])
      assert.equal(probe?.httpGet?.port, "metrics");
    assert.equal(container.readinessProbe?.httpGet?.scheme, undefined, "http");
  });

  it("keeps plain http without TLS", async () => {
    const { spec, env } = await pod({});
    assert.deepEqual(spec.volumes ?? [], []);
    assert.equal(env.ETCD_LISTEN_CLIENT_URLS, "http://0.0.0.0:2379");
    assert.equal(env.ETCD_CERT_FILE, undefined);
  });
});
