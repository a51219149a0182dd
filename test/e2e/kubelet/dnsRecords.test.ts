/** The names the process kubelet publishes: headless-Service records and each pod's own entry. */
import * as assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { V1Pod, V1Service } from "@kubernetes/client-node";
import { headlessServiceRecords, podOwnHostsEntry } from "./dnsRecords";

const NODE = "node-a";
const peerService: V1Service = {
  metadata: { name: "etcd-peer", namespace: "db" },
  spec: { clusterIP: "None", selector: { app: "etcd" }, publishNotReadyAddresses: false },
};

const pod = (name: string, status: V1Pod["status"]): V1Pod => ({
  metadata: { name, namespace: "db", labels: { app: "etcd" } },
  spec: { nodeName: NODE, hostname: name, subdomain: "etcd-peer", containers: [] },
  status,
});

describe("DNS records of the process kubelet", () => {
  it("gives a pod its own name at its IP before its status or readiness reaches the API", () => {
    const starting = pod("etcd-1", {});
    assert.deepEqual(headlessServiceRecords([peerService], [starting], NODE, "cluster.local"), []);
    assert.deepEqual(podOwnHostsEntry(starting, "127.1.1.7", "cluster.local"), {
      ip: "127.1.1.7",
      names: ["etcd-1.etcd-peer.db.svc.cluster.local"],
    });
  });

  it("gives no own entry to a pod without hostname and subdomain (nothing to wait for)", () => {
    const plain: V1Pod = { metadata: { name: "p", namespace: "db" }, spec: { containers: [] } };
    assert.equal(podOwnHostsEntry(plain, "127.1.1.8", "cluster.local"), undefined);
  });

  it("serves a ready pod of a headless Service by its hostname and the Service's name", () => {
    const ready = pod("etcd-0", {
      podIP: "127.1.1.5",
      phase: "Running",
      conditions: [{ type: "Ready", status: "True" }],
    });
    assert.deepEqual(headlessServiceRecords([peerService], [ready], NODE, "cluster.local"), [
      {
        ip: "127.1.1.5",
        names: ["etcd-0.etcd-peer.db.svc.cluster.local", "etcd-peer.db.svc.cluster.local"],
      },
    ]);
  });
});
