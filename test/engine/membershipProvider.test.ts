/**
 * Layer 3, the engine boundary: the membership provider, serialized by @pulumi/pulumi exactly as
 * `pulumi up` serializes it, is loaded by the real `@pulumi/pulumi/cmd/dynamic-provider` gRPC server
 * and driven with Configure, Check, Diff, Create, Update, Read and Delete in the engine's order,
 * against real etcd 3.5 processes on 127.0.100.x (the local workload stands in for Kubernetes).
 */
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type LocalCluster, localCluster } from "../harness/localCluster";
import { serializedProvider } from "../provider/localProvider";
import { assertConverged, writeData } from "../provider/scenario";
import { CheckFailedError, DynamicResourceEngine } from "./engine";
import { type Props, ProviderProcess } from "./providerProcess";

const URN =
  "urn:pulumi:dev::etcd-k8s::etcd-k8s:index:EtcdCluster$pulumi-nodejs:dynamic/etcd:Membership::eng-membership";

describe("the membership provider behind the real dynamic-provider server", () => {
  let cluster: LocalCluster;
  let provider: ProviderProcess;
  let engine: DynamicResourceEngine;
  let serialized: string;
  const data = new Map<string, string>();
  const inputs = (size: number, extra: Props = {}): Props => ({
    __provider: serialized,
    clusterName: "eng",
    namespace: "db",
    owner: "etcd-k8s/test/etcd",
    clusterDomain: "cluster.local",
    size,
    volumePolicy: "Delete",
    access: "pod-ip",
    ...extra,
  });
  const progress = () => provider.output.filter((l) => l.includes("[etcd membership]"));

  before(async () => {
    cluster = localCluster("eng", "127.0.100", "3.5");
    serialized = (await serializedProvider(cluster)).text;
    provider = await ProviderProcess.start();
    engine = new DynamicResourceEngine(provider, URN, `${cluster.options.root}/state.json`);
  });

  after(async () => {
    await provider?.stop();
    await cluster?.dispose();
  });

  it("answers Configure as a provider without preview support", async () => {
    assert.deepEqual(await provider.configure({ "etcd-k8s:size": "1" }), {
      acceptSecrets: false,
      supportsPreview: false,
    });
  });

  it("refuses bad inputs in Check with the field, the value and what is allowed", async () => {
    await assert.rejects(engine.preview(inputs(10, { volumePolicy: "Keep" })), (err) => {
      assert.ok(err instanceof CheckFailedError);
      assert.deepEqual(
        err.failures.map((f) => f.property),
        ["size", "volumePolicy"],
      );
      assert.match(err.failures[0].reason, /^size: 10 is not allowed; must be a whole number/);
      assert.match(err.failures[1].reason, /^volumePolicy: "Keep" is not allowed; must be one of/);
      return true;
    });
    assert.equal(engine.state(), undefined, "nothing recorded");
  });

  it("creates a one-member cluster: Check plans it, Create bootstraps it", async () => {
    const preview = await engine.preview(inputs(1));
    assert.equal(preview.operation, "create");
    assert.deepEqual(preview.inputs.members, ["eng-0"]);
    assert.equal(preview.inputs.plan, "bootstrap eng-0");
    const { operation, outputs } = await engine.up(inputs(1));
    assert.equal(operation, "create");
    assert.equal(outputs.liveSize, 1);
    assert.equal(outputs.leader, "eng-0");
    assert.ok(progress().length > 0, "progress lines reach the engine");
    await writeData(cluster, 1, data, "before-3");
    await assertConverged(cluster, 1, data);
  });

  it("previews 1→3 from Check and Diff alone, changing nothing", async () => {
    const preview = await engine.preview(inputs(3));
    assert.equal(preview.operation, "update");
    assert.deepEqual(preview.inputs.members, ["eng-0", "eng-1", "eng-2"]);
    assert.equal(preview.inputs.plan, "add eng-1, eng-2 as learners one at a time, promoting each");
    assert.deepEqual(preview.diff, { changes: "some", replaces: [], deleteBeforeReplace: false });
    assert.equal(await cluster.workload.replicas(), 1, "preview changed nothing");
  });

  it("scales 1→3 through Update with the previous outputs", async () => {
    const { operation, outputs } = await engine.up(inputs(3));
    assert.equal(operation, "update");
    assert.equal(outputs.liveSize, 3);
    const status = outputs.memberStatus as { name: string; role: string; healthy: boolean }[];
    assert.deepEqual(
      status.map((m) => [m.name, m.role, m.healthy]),
      [
        ["eng-0", "voter", true],
        ["eng-1", "voter", true],
        ["eng-2", "voter", true],
      ],
    );
    await writeData(cluster, 3, data, "after-3");
    await assertConverged(cluster, 3, data);
  });

  it("reports no change when only the plan text would differ", async () => {
    const preview = await engine.preview(inputs(3));
    assert.equal(preview.operation, "same");
  });

  it("replaces when the cluster identity changes", async () => {
    const preview = await engine.preview(inputs(3, { namespace: "other" }));
    assert.equal(preview.operation, "replace");
    assert.deepEqual(preview.diff?.replaces, ["namespace"]);
  });

  it("shows drift on Read: a member removed behind its back", async () => {
    const { EtcdAdmin } = await import("../../providers/etcd/admin");
    const admin = new EtcdAdmin();
    try {
      const url = `http://${cluster.workload.ip(0)}:2379`;
      const list = await admin.memberList(url);
      const victim = list.members.find((m) => m.name === "eng-2");
      assert.ok(victim);
      await admin.remove(url, victim.id);
    } finally {
      admin.close();
    }
    const refreshed = await engine.refresh();
    assert.equal(refreshed.liveSize, 2);
  });

  it("repairs the drift on the next up and scales 3→1", async () => {
    await engine.up(inputs(3));
    await assertConverged(cluster, 3, data);
    const { outputs } = await engine.up(inputs(1));
    assert.equal(outputs.liveSize, 1);
    await assertConverged(cluster, 1, data);
  });

  it("on Delete removes only the join configuration", async () => {
    await engine.destroy();
    assert.equal(engine.state(), undefined);
    assert.equal(await cluster.workload.readRecord(), undefined);
    assert.deepEqual(
      (await cluster.workload.volumes()).map((v) => v.ordinal),
      [0],
      "volumes are left alone",
    );
  });
});
