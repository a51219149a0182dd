/**
 * Decisions from evidence, whatever the history, on real etcd 3.5 processes: each case replays a
 * history the review of issue 9 found (F1, F3, F4, F6, F7) or a replacement, and ends with the
 * settled checks and every acknowledged write still readable.
 */
import * as assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { pollUntil } from "../../providers/backoff";
import { EtcdAdmin } from "../../providers/etcd/admin";
import { isMembershipRefusal } from "../../providers/membership/reconciler";
import type { Step } from "../../providers/membership/steps";
import type { EtcdVersion } from "../harness/etcdBinaries";
import { type LocalCluster, localCluster } from "../harness/localCluster";
import { ContinuousWriter } from "../harness/writer";
import { TEST_OWNER, assertConverged, clientURL, scaleTo, writeData } from "./scenario";
import { clusterForSuite } from "./suiteCluster";

class Stopped extends Error {}

/** What a refused run must leave as it was: pods (by pid), replicas, volumes, the record. */
async function everything(c: LocalCluster) {
  const pods = await c.workload.pods();
  return {
    replicas: await c.workload.replicas(),
    pids: pods.map((p) => [p.name, c.workload.pid(p.ordinal)]),
    volumes: await c.workload.volumes(),
    record: await c.workload.readRecord(),
  };
}

const descriptions = (steps: Array<{ description: string }>) => steps.map((s) => s.description);

async function memberIds(c: LocalCluster, k: number): Promise<Record<string, string>> {
  const admin = new EtcdAdmin();
  try {
    const list = await admin.memberList(clientURL(c, k));
    return Object.fromEntries(list.members.map((m) => [m.name, m.id]));
  } finally {
    admin.close();
  }
}

describe("F1: a create stopped after two voters joined, retried while no member answers", () => {
  const { c, data } = clusterForSuite("fone", "127.0.41", "3.5");

  it("the first create stops before the third member is added", async () => {
    const stopBeforeThird = (step: Step) => {
      if (step.kind === "add-learner" && step.slot.ordinal === 2) throw new Stopped();
    };
    await assert.rejects(scaleTo(c, 3, "Delete", { onStepBoundary: stopBeforeThird }), Stopped);
    await writeData(c, 2, data, "two-voters");
  });

  it("the retry refuses after a bounded wait and stops no pod, deletes no volume, rewrites nothing", async () => {
    c.workload.pause(0);
    c.workload.pause(1);
    try {
      const before = await everything(c);
      await assert.rejects(scaleTo(c, 3, "Delete", { unobservedBudgetMs: 2_000 }), (e: Error) => {
        assert.ok(isMembershipRefusal(e), e.message);
        assert.match(e.message, /no etcd member answers/);
        assert.match(
          e.message,
          /This cluster exists \(cluster [0-9a-f]+ with fone-0=[0-9a-f]+,fone-1=/,
        );
        return true;
      });
      assert.deepEqual(await everything(c), before, "nothing changed");
    } finally {
      c.workload.resume(0);
      c.workload.resume(1);
    }
  });

  it("retried when the members answer, it finishes the create with every write", async () => {
    await scaleTo(c, 3, "Delete");
    await assertConverged(c, 3, data);
  });
});

describe("F3: destroy keeps the volumes; a new create refuses them and starts nothing on them", () => {
  const { c, data } = clusterForSuite("fthree", "127.0.42", "3.5");

  for (const size of [1, 3]) {
    it(`size ${size}: the earlier cluster's data is never served again`, async () => {
      await scaleTo(c, size, "Delete");
      await writeData(c, size, data, `before-destroy-${size}`);
      // pulumi destroy: the provider removes the record, the StatefulSet goes, volumes stay.
      await c.workload.removeRecord();
      await c.workload.deleteWorkload();
      // pulumi up: a new StatefulSet (one pod, waiting for its join settings), then create.
      await c.workload.createWorkload();
      const before = await everything(c);
      await assert.rejects(scaleTo(c, size, "Delete"), (e: Error) => {
        const names = Array.from({ length: size }, (_, k) => `data-fthree-${k}`).join(", ");
        assert.match(e.message, new RegExp(`volumes older than the workload exist: ${names}\\.`));
        return true;
      });
      assert.deepEqual(await everything(c), before, "nothing changed");
      const pods = await c.workload.pods();
      assert.deepEqual(
        pods.map((p) => [p.name, p.started]),
        [["fthree-0", false]],
        "no etcd ran on the old data",
      );
      // The user chooses to start empty: the volumes go, and a new cluster is founded.
      await c.workload.deleteWorkload();
      for (let k = 0; k < size; k++) await c.workload.deleteVolume(k);
      await c.workload.createWorkload();
      await scaleTo(c, size, "Delete");
      data.clear();
      await assertConverged(c, size, data);
      const stored = await new EtcdAdmin().memberList(clientURL(c, 0));
      assert.equal(stored.members.length, size);
    });
  }

  it("refuses a cluster recorded under another owner, changing nothing", async () => {
    const before = await everything(c);
    await assert.rejects(
      scaleTo(c, 5, "Delete", { owner: "etcd-k8s/other-stack/etcd" }),
      (e: Error) => {
        assert.match(
          e.message,
          new RegExp(
            `says this cluster is managed by ${TEST_OWNER}, not by etcd-k8s/other-stack/etcd`,
          ),
        );
        return true;
      },
    );
    assert.deepEqual(await everything(c), before);
  });
});

for (const [version, prefix] of [
  ["3.5", "127.0.43"],
  ["3.4", "127.0.49"],
] as Array<[EtcdVersion, string]>)
  describe(`F4 on etcd ${version}: an existing member on an empty volume (StatefulSet scaled 3→2→3 by hand, Delete)`, () => {
    const name = `ffour${version.replace(".", "")}`;
    const c = localCluster(name, prefix, version);
    let writer: ContinuousWriter | undefined;
    after(async () => {
      await writer?.stop();
      await c.dispose();
    });

    it("etcd refuses to start the member on its empty volume, and the others keep serving", async () => {
      await scaleTo(c, 3, "Delete");
      writer = new ContinuousWriter(
        [0, 1].map((k) => clientURL(c, k)),
        "ffour",
      );
      const before = await memberIds(c, 0);
      await c.workload.scale(2);
      await c.workload.deleteVolume(2);
      await c.workload.scale(3);
      const pod = await pollUntil(
        { budgetMs: 30_000, initialDelayMs: 50, maxDelayMs: 500 },
        async () => {
          const p = (await c.workload.pods()).find((x) => x.ordinal === 2);
          return p && p.phase === "waiting" && p.lastTermination ? p : undefined;
        },
      );
      assert.ok(pod, "etcd-2 exited");
      assert.match(
        pod.lastTermination ?? "",
        new RegExp(`couldn't find local name \\\\?"${name}-2\\\\?"`),
      );
      assert.deepEqual(
        await memberIds(c, 0),
        before,
        "the member list is unchanged: it never joined empty",
      );
      const acknowledged = writer.acknowledged.size;
      await pollUntil({ budgetMs: 10_000, initialDelayMs: 50, maxDelayMs: 200 }, async () =>
        writer!.acknowledged.size > acknowledged + 10 ? true : undefined,
      );
    });

    it("the next run replaces the member on its empty volume and loses no write", async () => {
      const old = (await memberIds(c, 0))[`${name}-2`];
      const { steps } = await scaleTo(c, 3, "Delete");
      const done = descriptions(steps);
      assert.ok(done.includes(`${name}-2: remove member, to replace it`), done.join("\n"));
      assert.ok(done.includes(`${name}-2: add as learner`), done.join("\n"));
      assert.notEqual((await memberIds(c, 0))[`${name}-2`], old, "a new member");
      await writer!.stop();
      console.log(
        `[writes] acknowledged ${writer!.acknowledged.size}, not acknowledged ${writer!.failed}`,
      );
      await assertConverged(c, 3, writer!.acknowledged);
    });
  });

describe("F6: a dead voter removed by a size decrease; a member replaced through replaceMembers", () => {
  const { c, data } = clusterForSuite("fsix", "127.0.44", "3.5");

  it("a hung voter the size decrease removes anyway is removed while the others keep quorum", async () => {
    await scaleTo(c, 3, "Delete");
    await writeData(c, 3, data, "before");
    c.workload.pause(2);
    const { steps } = await scaleTo(c, 2, "Delete");
    assert.ok(
      descriptions(steps).includes("fsix-2: remove member"),
      descriptions(steps).join("\n"),
    );
    await assertConverged(c, 2, data);
  });

  it("replaceMembers replaces a healthy member in the middle on a new, empty volume", async () => {
    await scaleTo(c, 3, "Delete");
    const old = (await memberIds(c, 0))["fsix-1"];
    const { steps } = await scaleTo(c, 3, "Delete", { replace: [old] });
    const done = descriptions(steps);
    for (const expected of [
      "fsix-1: remove member, to replace it",
      "fsix-1: replace volume data-fsix-1 with an empty one (its member left the cluster)",
      "fsix-1: add as learner",
      "fsix-1: learner caught up, promote to voter",
    ])
      assert.ok(done.includes(expected), `${expected} in:\n${done.join("\n")}`);
    assert.notEqual((await memberIds(c, 0))["fsix-1"], old);
    await assertConverged(c, 3, data);
  });

  it("the same replaceMembers later changes nothing: that member is gone", async () => {
    const ids = await memberIds(c, 0);
    const logged: string[] = [];
    const { steps } = await scaleTo(c, 3, "Delete", {
      replace: ["0123456789abcdef"],
      log: (line) => logged.push(line),
    });
    assert.deepEqual(steps, []);
    assert.deepEqual(await memberIds(c, 0), ids);
    assert.ok(
      logged.some((l) =>
        l.includes("replaceMembers names 0123456789abcdef, which is not a member"),
      ),
    );
  });
});

describe("F7: a learner's pod that started before its join settings existed", () => {
  const { c, data } = clusterForSuite("fseven", "127.0.45", "3.5");

  it("is restarted with the right settings instead of being waited on", async () => {
    await scaleTo(c, 1, "Delete");
    await writeData(c, 1, data, "one");
    // A run stops after adding the learner, before recording it as joining; then the pod is
    // started by hand, with join settings that do not let it join, and etcd refuses it.
    const stopBeforeJoining = (step: Step) => {
      if (step.kind === "write-record" && step.record.joining === 1) throw new Stopped();
    };
    await assert.rejects(scaleTo(c, 2, "Delete", { onStepBoundary: stopBeforeJoining }), Stopped);
    await c.workload.scale(2);
    await pollUntil({ budgetMs: 30_000, initialDelayMs: 50, maxDelayMs: 500 }, async () =>
      (await c.workload.pods()).find((p) => p.ordinal === 1 && p.lastTermination)
        ? true
        : undefined,
    );
    const { steps } = await scaleTo(c, 2, "Delete");
    const done = descriptions(steps);
    const recorded = done.findIndex((d) => d.endsWith("fseven-1 may join"));
    const restarted = done.indexOf(
      "fseven-1: restart the pod: it started before its join settings were written",
    );
    assert.ok(recorded >= 0 && restarted > recorded, done.join("\n"));
    await assertConverged(c, 2, data);
  });
});

describe("F2: the record lost on a live cluster (a destroy stopped after the record went)", () => {
  const { c, data } = clusterForSuite("ftwo", "127.0.50", "3.5");

  it("a pod restarted meanwhile waits; the next run writes the record again and it starts", async () => {
    await scaleTo(c, 3, "Delete");
    await writeData(c, 3, data, "live");
    const ids = await memberIds(c, 0);
    await c.workload.removeRecord();
    await c.workload.restartPod(1);
    const waiting = (await c.workload.pods()).find((p) => p.ordinal === 1);
    assert.equal(waiting?.phase, "waiting", "no join settings: the pod waits, etcd does not start");
    const { steps } = await scaleTo(c, 3, "Delete");
    assert.match(
      descriptions(steps)[0],
      /^ftwo-0: write the missing cluster record again \(cluster [0-9a-f]+/,
    );
    assert.deepEqual(await memberIds(c, 0), ids, "the same members, found again");
    await assertConverged(c, 3, data);
  });
});

describe("F2, worse: the record lost and then every pod restarted, so no member answers", () => {
  const { c, data } = clusterForSuite("ftwob", "127.0.51", "3.5");

  it("members start again on their own data only, and the next look records the cluster", async () => {
    await scaleTo(c, 3, "Delete");
    await writeData(c, 3, data, "live");
    const ids = await memberIds(c, 0);
    await c.workload.removeRecord();
    for (const k of [0, 1, 2]) await c.workload.restartPod(k);
    const { steps } = await scaleTo(c, 3, "Delete");
    const done = descriptions(steps);
    assert.match(
      done[0],
      /^ftwob-0: the cluster record is missing: let 3 member\(s\) start on their own data only/,
    );
    assert.match(done[1], /^ftwob-0: record cluster [0-9a-f]+, members ftwob-0=/);
    assert.deepEqual(await memberIds(c, 0), ids, "the same cluster, not a new one");
    await assertConverged(c, 3, data);
  });
});
