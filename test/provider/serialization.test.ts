/**
 * The provider as Pulumi ships it: serialized with everything it captures (the local workload
 * factory included), loaded back from text the way the dynamic-provider server does, and run
 * against etcd 3.5 on 127.0.15.x.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { type LocalCluster, localCluster } from "../harness/localCluster";
import { serializedProvider } from "./localProvider";

describe("serialized provider", () => {
  const c: LocalCluster = localCluster("ser", "127.0.15", "3.5");
  const file = path.join(__dirname, "..", "tmp", `serialized-provider-${process.pid}.js`);
  after(async () => {
    fs.rmSync(file, { force: true });
    await c.dispose();
  });

  it("serializes, loads from text and manages a real cluster", async () => {
    const serialized = await serializedProvider(c);
    assert.match(serialized.text, /require\("etcd3/, "etcd3 is required, not inlined");
    assert.doesNotMatch(serialized.text, /class Etcd3 /, "no etcd3 class is inlined");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, serialized.text);
    const loaded = (await import(file)) as Record<string, () => pulumi.dynamic.ResourceProvider>;
    const revived = loaded[serialized.exportName]();

    const args = {
      clusterName: "ser",
      namespace: "db",
      owner: "etcd-k8s/test/etcd",
      clusterDomain: "cluster.local",
      volumePolicy: "Retain",
      access: "pod-ip",
      size: 1,
    };
    const { inputs } = await revived.check!({}, args);
    assert.equal(inputs.plan, "bootstrap ser-0");
    const { id, outs } = await revived.create!(inputs);
    assert.equal(id, "db/ser");
    assert.equal(outs.liveSize, 1);
    assert.equal(outs.leader, "ser-0");
    const read = await revived.read!(id, outs);
    assert.deepEqual(read.props?.memberStatus, outs.memberStatus);
    assert.equal((await revived.diff!(id, outs, { ...inputs, size: 3 })).changes, true);
    await revived.delete!(id, outs);
    assert.equal(await c.workload.readRecord(), undefined);
  });
});
