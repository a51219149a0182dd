/**
 * MembershipResource registered under Pulumi mocks: type token, inputs, outputs. (The mock monitor
 * ignores additionalSecretOutputs, so the secret kubeconfig is the engine tests' to check.)
 */
import * as assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { createMembershipProvider } from "../../providers/membership/provider";
import { MembershipResource } from "../../providers/membership/resource";
import { localWorkloadFactory } from "../harness/localWorkload";

const registered: pulumi.runtime.MockResourceArgs[] = [];

describe("MembershipResource", () => {
  before(() =>
    pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push(args);
          return { id: "db/etcd", state: { ...args.inputs, liveSize: 3, leader: "etcd-0" } };
        },
        call: () => ({}),
      },
      "project",
      "stack",
    ),
  );

  it("registers as etcd:Membership with a serialized provider and exposes its outputs", async () => {
    const provider = createMembershipProvider(
      localWorkloadFactory({
        root: "/tmp/unused",
        etcdBinary: "/usr/bin/etcd",
        ipPrefix: "127.0.16",
      }),
    );
    const resource = new MembershipResource("members", provider, {
      clusterName: "etcd",
      owner: "etcd-k8s/test/etcd",
      namespace: "db",
      clusterDomain: "cluster.local",
      size: pulumi.output(3),
      volumePolicy: "Delete",
      access: "port-forward",
      kubeconfig: "apiVersion: v1",
    });
    const [liveSize, leader] = await new Promise<[number, string | null]>((resolve) =>
      pulumi.all([resource.liveSize, resource.leader]).apply(resolve),
    );
    assert.deepEqual([liveSize, leader], [3, "etcd-0"]);
    const [args] = registered;
    assert.equal(args.type, "pulumi-nodejs:dynamic/etcd:Membership");
    assert.equal(args.inputs.size, 3);
    assert.equal(typeof args.inputs.__provider, "string");
    assert.match(args.inputs.__provider, /exports\.handler/);
  });
});
