import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import { podIPClientURL, templateClientURL } from "../../providers/kubernetes/clientUrl";

const slot = {
  ordinal: 3,
  name: "etcd-3",
  peerURL: "http://etcd-3.etcd-peer.db.svc.cluster.local:2380",
};

describe("client URLs", () => {
  it("pod-ip: the client port on the pod IP, IPv6 bracketed", () => {
    assert.equal(podIPClientURL("10.244.1.7"), "http://10.244.1.7:2379");
    assert.equal(podIPClientURL("fd00:10:244::7"), "http://[fd00:10:244::7]:2379");
  });

  it("endpoints: every {name} and {ordinal} is substituted", () => {
    assert.equal(
      templateClientURL("https://{name}.etcd.example.com:2379", slot),
      "https://etcd-3.etcd.example.com:2379",
    );
    assert.equal(
      templateClientURL("http://lb-{ordinal}.example.com:{ordinal}2379/{name}", slot),
      "http://lb-3.example.com:32379/etcd-3",
    );
  });

  it("endpoints: a template that does not give a URL is refused, naming the field and the result", () => {
    assert.throws(() => templateClientURL("{name}.example.com:2379", slot), {
      message:
        'endpointTemplate: "{name}.example.com:2379" gives "etcd-3.example.com:2379" for etcd-3, which is not an http:// or https:// URL with a host; use e.g. "https://{name}.etcd.example.com:2379"',
    });
    assert.throws(
      () => templateClientURL("https://", slot),
      /which is not an http:\/\/ or https:\/\/ URL/,
    );
  });
});
