/** The provider's client certificate from its Secret, and what the workload does with TLS. */
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { clientTLSOf } from "../../providers/kubernetes/clientTls";
import { podIPClientURL } from "../../providers/kubernetes/clientUrl";
import { createKubernetesWorkload } from "../../providers/kubernetes/kubernetesWorkload";
import { kubeconfigText } from "./kubeconfigText";

const base64 = (text: string) => Buffer.from(text).toString("base64");

describe("the client certificate Secret", () => {
  it("gives the certificate, key and CA as bytes", () => {
    const tls = clientTLSOf({
      data: { "tls.crt": base64("CERT"), "tls.key": base64("KEY"), "ca.crt": base64("CA") },
    });
    assert.deepEqual(tls, {
      cert: Buffer.from("CERT"),
      key: Buffer.from("KEY"),
      ca: Buffer.from("CA"),
    });
  });

  it("names what is missing, never the content", () => {
    assert.equal(clientTLSOf(undefined), "the Secret does not exist (yet)");
    assert.equal(
      clientTLSOf({ data: { "tls.crt": base64("CERT"), "tls.key": base64("SECRET-KEY") } }),
      "the Secret has no ca.crt (a kubernetes.io/tls Secret needs tls.crt, tls.key and ca.crt)",
    );
    assert.equal(
      clientTLSOf({ data: {} }),
      "the Secret has no tls.crt, tls.key, ca.crt (a kubernetes.io/tls Secret needs tls.crt, tls.key and ca.crt)",
    );
  });
});

describe("the Kubernetes workload with TLS", () => {
  const workload = (tls: boolean) =>
    createKubernetesWorkload({
      clusterName: "etcd",
      namespace: "db",
      clusterDomain: "cluster.local",
      access: "endpoints",
      endpointTemplate: "https://{name}.etcd.example.com:2379",
      kubeconfig: kubeconfigText("https://127.6.0.9:9", "unused"),
      ...(tls ? { tls: { clientSecret: "etcd-client-tls" } } : {}),
    });

  it("matches members by https peer URLs", () => {
    assert.equal(
      workload(true).slot(1).peerURL,
      "https://etcd-1.etcd-peer.db.svc.cluster.local:2380",
    );
    assert.equal(
      workload(false).slot(1).peerURL,
      "http://etcd-1.etcd-peer.db.svc.cluster.local:2380",
    );
  });

  it("has no client certificate without TLS, and keeps the user's names with access endpoints", async () => {
    assert.equal(await workload(false).clientTLS(), undefined);
    const endpoint = await workload(true).clientEndpoint(2);
    assert.deepEqual(Object.keys(endpoint).sort(), ["close", "url"], "no serverName override");
  });

  it("pod-ip URLs are https with TLS", () => {
    assert.equal(podIPClientURL("10.1.2.3", true), "https://10.1.2.3:2379");
  });
});
