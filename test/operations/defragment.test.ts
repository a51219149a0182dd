/**
 * `npm run defrag`'s operation on real etcd processes (3.5, three members, 127.4.1.x): data written
 * and deleted leaves free pages behind; defragmenting one member at a time, leader last, gives
 * them back, keeps every remaining key and leaves the cluster healthy. An unhealthy cluster is
 * refused before any member is touched. Then a single etcd 3.4 member (127.4.2.x), whose
 * defragment answer carries no header.
 */
import * as assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { EtcdAdmin } from "../../providers/etcd/admin";
import { Endpoints, observe } from "../../providers/membership/observe";
import { healthProblem } from "../../operations/clusterHealth";
import {
  DEFAULT_DEFRAGMENT_OPTIONS,
  DefragmentRefusal,
  defragmentCluster,
} from "../../operations/defragment";
import { type LocalCluster, dataClient, localCluster } from "../harness/localCluster";
import { clientURL, scaleTo } from "../provider/scenario";

const VALUE = "x".repeat(8 * 1024);
const BATCH = 50;

/** 4 MiB written, deleted and compacted away (free pages only defragmentation returns), 20 keys kept. */
async function leaveFreePages(c: LocalCluster, size: number, kept: Map<string, string>) {
  const client = dataClient([...Array(size).keys()].map((k) => clientURL(c, k)));
  try {
    for (let batch = 0; batch < 10; batch++)
      await Promise.all(
        Array.from({ length: BATCH }, (_, i) =>
          client.put(`scratch/${batch * BATCH + i}`).value(VALUE),
        ),
      );
    for (let i = 0; i < 20; i++) {
      await client.put(`keep/${i}`).value(`kept-${i}`);
      kept.set(`keep/${i}`, `kept-${i}`);
    }
    const deleted = await client.delete().prefix("scratch/");
    await client.kv.compact({ revision: deleted.header.revision, physical: true });
  } finally {
    client.close();
  }
}

describe("defragmentation on a live cluster", () => {
  const c: LocalCluster = localCluster("dfg", "127.4.1", "3.5");
  const admin = new EtcdAdmin();
  const kept = new Map<string, string>();
  after(async () => {
    admin.close();
    await c.dispose();
  });

  before(async () => {
    await scaleTo(c, 3, "Delete");
    await leaveFreePages(c, 3, kept);
  });

  it("defragments followers first and the leader last, shrinking every member's database", async () => {
    const leaderId = (await admin.status(clientURL(c, 0))).leader;
    const lines: string[] = [];
    const done = await defragmentCluster(c.workload, admin, {
      ...DEFAULT_DEFRAGMENT_OPTIONS,
      log: (line) => lines.push(line),
    });
    for (const line of lines) console.log(line);
    assert.equal(done.length, 3);
    assert.equal(done[2].id, leaderId, "the leader comes last");
    for (const member of done)
      assert.ok(
        member.dbSizeAfter < member.dbSizeBefore / 2,
        `${member.name}: ${member.dbSizeBefore} -> ${member.dbSizeAfter} bytes`,
      );
    assert.deepEqual(done.map((m) => m.name).sort(), ["dfg-0", "dfg-1", "dfg-2"]);
    assert.equal(lines.length, 7);
    assert.match(
      lines[0],
      /^\[etcd defrag\] .*: dfg-\d \(follower, 1\/3\): defragment, db size \d+\.\d MiB$/,
    );
    assert.match(lines[5], /: dfg-\d \(leader, 3\/3\): db size \d+\.\d MiB -> \d+\.\d MiB$/);
    assert.match(lines[6], /: done, 3 member\(s\) defragmented$/);
  });

  it("keeps every remaining key on every member and leaves the cluster healthy", async () => {
    for (const k of [0, 1, 2]) {
      const client = dataClient([clientURL(c, k)]);
      try {
        const read = await client.getAll().prefix("keep/").serializable(true).strings();
        assert.deepEqual(new Map(Object.entries(read)), kept, `dfg-${k}`);
      } finally {
        client.close();
      }
    }
    const endpoints = new Endpoints(c.workload, admin);
    try {
      const o = await observe(c.workload, endpoints, admin);
      assert.equal(
        healthProblem(o, (k) => c.workload.slot(k)),
        undefined,
      );
    } finally {
      await endpoints.closeAll();
    }
  });

  it("refuses an unhealthy cluster before touching any member", async () => {
    const pid = c.workload.pid(1);
    assert.ok(pid);
    process.kill(pid, "SIGKILL");
    const lines: string[] = [];
    await assert.rejects(
      defragmentCluster(c.workload, admin, {
        ...DEFAULT_DEFRAGMENT_OPTIONS,
        log: (l) => lines.push(l),
      }),
      (error: Error) => {
        assert.ok(error instanceof DefragmentRefusal);
        assert.match(
          error.message,
          /^\[etcd defrag\] .*: not defragmenting, the cluster is not healthy: dfg-1 does not answer: /,
        );
        return true;
      },
    );
    assert.deepEqual(lines, []);
  });
});

describe("defragmentation of an etcd 3.4 member", () => {
  const c: LocalCluster = localCluster("dfo", "127.4.2", "3.4");
  const admin = new EtcdAdmin();
  after(async () => {
    admin.close();
    await c.dispose();
  });

  it("defragments a single member and shrinks its database", async () => {
    await scaleTo(c, 1, "Delete");
    await leaveFreePages(c, 1, new Map());
    const lines: string[] = [];
    const [member, ...others] = await defragmentCluster(c.workload, admin, {
      ...DEFAULT_DEFRAGMENT_OPTIONS,
      log: (line) => lines.push(line),
    });
    for (const line of lines) console.log(line);
    assert.deepEqual(others, []);
    assert.equal(member.name, "dfo-0");
    assert.ok(
      member.dbSizeAfter < member.dbSizeBefore / 2,
      `${member.dbSizeBefore} -> ${member.dbSizeAfter}`,
    );
    assert.match(lines[0], /: dfo-0 \(leader, 1\/1\): defragment, db size/);
  });
});
