import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MembershipArgs } from "../../model/membership/inputs";
import { createKubernetesWorkload } from "../../providers/kubernetes/kubernetesWorkload";
import { offlineArgs } from "./offlineArgs";

describe("createKubernetesWorkload without calling the API", () => {
  it("describes the StatefulSet and names each slot like the component does", () => {
    const workload = createKubernetesWorkload(offlineArgs());
    assert.equal(workload.describe(), "StatefulSet db/etcd");
    assert.deepEqual(workload.slot(2), {
      ordinal: 2,
      name: "etcd-2",
      peerURL: "http://etcd-2.etcd-peer.db.svc.cluster.local:2380",
    });
  });

  it("refuses an ordinal that is not a whole number, 0 or more", () => {
    const workload = createKubernetesWorkload(offlineArgs());
    assert.throws(() => workload.slot(-1), {
      message: "ordinal: -1 is not allowed; it must be a whole number, 0 or more",
    });
    assert.throws(() => workload.slot(1.5), /ordinal: 1.5 is not allowed/);
  });

  it("refuses a replica count that is not a whole number, 0 or more, before any API call", async () => {
    const workload = createKubernetesWorkload(offlineArgs());
    await assert.rejects(workload.scale(-1), {
      message:
        "scale StatefulSet db/etcd/scale: replicas -1 is not allowed; it must be a whole number, 0 or more",
    });
    await assert.rejects(workload.scale(2.5), /replicas 2.5 is not allowed/);
  });

  it("access endpoints: substitutes the template, no API call", async () => {
    const workload = createKubernetesWorkload(
      offlineArgs({
        access: "endpoints",
        endpointTemplate: "https://{name}.etcd.example.com:2379",
      }),
    );
    const endpoint = await workload.clientEndpoint(4);
    assert.equal(endpoint.url, "https://etcd-4.etcd.example.com:2379");
    await workload.close();
  });

  it("access endpoints without a template is refused, naming the field", async () => {
    const workload = createKubernetesWorkload(offlineArgs({ access: "endpoints" }));
    await assert.rejects(
      workload.clientEndpoint(0),
      /^Error: endpointTemplate: \(missing\) is not allowed with access "endpoints"/,
    );
  });

  it("an unknown access mode is refused with the stack config's message", async () => {
    const workload = createKubernetesWorkload(
      offlineArgs({ access: "ssh" as MembershipArgs["access"] }),
    );
    await assert.rejects(workload.clientEndpoint(0), {
      message: 'access: "ssh" is not allowed; must be one of "port-forward", "pod-ip", "endpoints"',
    });
  });

  it("a kubeconfig input that does not parse is refused", () => {
    assert.throws(
      () => createKubernetesWorkload(offlineArgs({ kubeconfig: "clusters: [unclosed" })),
      /^Error: kubeconfig: cannot load the kubeconfig input: /,
    );
  });

  it("a kubeconfig input without a usable current context is refused", () => {
    const noContext = JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [],
      contexts: [],
    });
    assert.throws(
      () => createKubernetesWorkload(offlineArgs({ kubeconfig: noContext })),
      /^Error: kubeconfig: the kubeconfig input has no cluster for its current context/,
    );
  });
});
