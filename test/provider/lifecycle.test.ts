/**
 * The provider's create, update, read, delete on etcd 3.5 processes (127.0.14.x): outputs, drift
 * shown by a refresh and repaired by the next update, what delete keeps, and create refusing to
 * build a new cluster over an earlier cluster's volumes.
 */
import * as assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { MembershipInputs } from "../../model/membership/inputs";
import type { MembershipOutputs } from "../../providers/membership/outputs";
import { type LocalCluster, localCluster } from "../harness/localCluster";
import { loggingProvider } from "./localProvider";
import { TEST_OWNER, assertConverged, scaleTo, writeData } from "./scenario";

function assertNoUndefined(value: unknown, path = "outputs"): void {
  assert.notEqual(value, undefined, `${path} is undefined`);
  if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) assertNoUndefined(v, `${path}.${k}`);
}

describe("provider lifecycle on etcd 3.5", () => {
  const c: LocalCluster = localCluster("life", "127.0.14", "3.5");
  const logged: string[] = [];
  const provider = loggingProvider(c, logged);
  const data = new Map<string, string>();
  const args = {
    clusterName: "life",
    namespace: "db",
    owner: TEST_OWNER,
    clusterDomain: "cluster.local",
    volumePolicy: "Delete" as const,
    access: "pod-ip" as const,
  };
  const inputs = async (olds: object, size: number): Promise<MembershipInputs> =>
    (await provider.check!(olds, { ...args, size })).inputs;
  let outs: MembershipOutputs;
  after(() => c.dispose());

  it("create bootstraps and grows, reporting progress per step", async () => {
    const created = await provider.create!(await inputs({}, 2));
    assert.equal(created.id, "db/life");
    outs = created.outs;
    assertNoUndefined(outs);
    assert.equal(outs.kubeconfig, undefined);
    assert.match(outs.clusterId ?? "", /^[0-9a-f]+$/);
    assert.deepEqual(outs.members, ["life-0", "life-1"]);
    assert.equal(outs.liveSize, 2);
    assert.ok(outs.leader === "life-0" || outs.leader === "life-1");
    assert.deepEqual(
      outs.memberStatus.map((m) => [
        m.name,
        m.peerURL,
        m.role,
        m.healthy,
        /^[0-9a-f]+$/.test(m.id),
      ]),
      [0, 1].map((k) => [`life-${k}`, c.workload.slot(k).peerURL, "voter", true, true]),
    );
    const actions = logged.filter((l) => !l.includes("wait until"));
    const numbers = actions.map((l) =>
      /\(step (\d+)\/(\d+) of 0→2\)$/.exec(l)?.slice(1).map(Number),
    );
    assert.deepEqual(
      numbers,
      actions.map((_, i) => [i + 1, actions.length]),
      "one numbered progress line per action, each with the same total",
    );
    for (const wait of logged.filter((l) => l.includes("wait until")))
      assert.match(wait, /\(waiting, \d+\/\d+ steps done, 0→2\)$/);
    assert.ok(logged.some((l) => l.includes("life-1: add as learner")));
    assert.match(
      logged[0],
      /^\[etcd membership\] life-0: record a new cluster: this member founds it on an empty volume \(step 1\/\d+ of 0→2\)$/,
    );
    assert.ok(
      logged.some((l) =>
        /life-1: learner caught up, promote to voter \(step \d+\/\d+ of 0→2\)/.test(l),
      ),
    );
    await writeData(c, 2, data, "create");
  });

  it("update scales to the new size", async () => {
    outs = (await provider.update!("db/life", outs, await inputs(outs, 3))).outs;
    assert.equal(outs.liveSize, 3);
    assert.equal(outs.plan, "add life-2 as a learner, then promote it");
    await assertConverged(c, 3, data);
  });

  it("read shows drift from the live member list, and the next update repairs it", async () => {
    await scaleTo(c, 2, "Delete", { label: "life drift 3→2 (outside the provider)" });
    const read = await provider.read!("db/life", outs);
    assert.equal(read.props?.size, 2);
    assert.equal(read.props?.liveSize, 2);
    assert.deepEqual(read.props?.members, ["life-0", "life-1"]);
    assert.equal(read.inputs?.size, 2, "inputs follow, so the next check plans from the live size");
    const news = await inputs(read.inputs!, 3);
    assert.equal(news.plan, "add life-2 as a learner, then promote it");
    assert.equal((await provider.diff!("db/life", read.props, news)).changes, true);
    outs = (await provider.update!("db/life", read.props, news)).outs;
    assert.equal(outs.liveSize, 3);
    await assertConverged(c, 3, data);
  });

  it("delete removes only the cluster record and says so", async () => {
    await provider.delete!("db/life", outs);
    assert.equal(await c.workload.readRecord(), undefined);
    assert.match(
      logged.at(-1) ?? "",
      /removed the cluster record; etcd members and volumes are left to the StatefulSet/,
    );
    await assertConverged(c, 3, data, "Delete", { recorded: false });
  });

  it("create after a destroy refuses the kept volumes, naming them, and changes nothing", async () => {
    await c.workload.deleteWorkload();
    await c.workload.createWorkload();
    await assert.rejects(provider.create!(await inputs({}, 3)), (e: Error) => {
      assert.match(
        e.message,
        /volumes older than the workload exist: data-life-0, data-life-1, data-life-2\. They hold the data of an earlier cluster/,
      );
      return true;
    });
    assert.equal(await c.workload.replicas(), 1);
    assert.equal(await c.workload.readRecord(), undefined);
    assert.deepEqual(
      (await c.workload.volumes()).map((v) => v.ordinal),
      [0, 1, 2],
    );
    const pods = await c.workload.pods();
    assert.deepEqual(
      pods.map((p) => [p.name, p.phase, p.started]),
      [["life-0", "waiting", false]],
      "the new pod waits for a record and never started etcd on the old data",
    );
  });
});
