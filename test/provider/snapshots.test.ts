/**
 * Safety snapshots on etcd 3.5 (127.5.1.x; the restored cluster on 127.5.2.x): one verified
 * snapshot per run that changes membership and none otherwise, the last N kept, a failed snapshot
 * refuses the change, the verifier catches damaged files, and a snapshot restores into a new
 * cluster that the provider then grows.
 */
import * as assert from "node:assert/strict";
import * as childProcess from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, it } from "node:test";
import { EtcdAdmin } from "../../providers/etcd/admin";
import type { SafetySnapshotOptions } from "../../providers/membership/safetySnapshot";
import { createMembershipProvider } from "../../providers/membership/provider";
import { listSnapshots } from "../../providers/snapshots/store";
import {
  INVALID_SNAPSHOT,
  hashFileOf,
  hashLine,
  verifySnapshotFile,
} from "../../providers/snapshots/verify";
import { etcdutlBinary } from "../harness/etcdBinaries";
import { type LocalCluster, dataClient, localCluster } from "../harness/localCluster";
import { localWorkloadFactory } from "../harness/localWorkload";
import { TEST_RECONCILE, assertConverged, clientURL, scaleTo, writeData } from "./scenario";

describe("safety snapshots before membership changes, etcd 3.5", () => {
  const c: LocalCluster = localCluster("snap", "127.5.1", "3.5");
  const restored: LocalCluster = localCluster("restored", "127.5.2", "3.5");
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), "etcd-snapshots-"));
  const snapshot: SafetySnapshotOptions = { directory, keep: 2, cluster: "snap" };
  const data = new Map<string, string>();
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);
  after(async () => {
    await restored.dispose();
    await c.dispose();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it("creating a single member changes no membership and takes no snapshot", async () => {
    const result = await scaleTo(c, 1, "Delete", { snapshot });
    assert.equal(result.snapshot, undefined);
    assert.deepEqual(listSnapshots(directory, "snap"), []);
    await writeData(c, 1, data, "before-first");
  });

  it("1→3 takes exactly one verified snapshot, before the first membership step", async () => {
    lines.length = 0;
    const result = await scaleTo(c, 3, "Delete", { snapshot, log });
    assert.ok(result.snapshot, "the run reports its snapshot");
    assert.deepEqual(listSnapshots(directory, "snap"), [result.snapshot.path]);
    const verified = verifySnapshotFile(result.snapshot.path);
    assert.deepEqual(verified, { bytes: result.snapshot.bytes, sha256: result.snapshot.sha256 });
    assert.equal(
      fs.readFileSync(hashFileOf(result.snapshot.path), "utf8"),
      hashLine(result.snapshot.sha256, result.snapshot.path),
    );
    assert.equal(result.snapshot.member, "snap-0", "taken from the leader");
    assert.ok(result.snapshot.revision > 1);
    const taken = lines.filter((l) => l.includes("safety snapshot"));
    assert.equal(taken.length, 2, "one line announces it, one reports it verified");
    const firstAdd = lines.findIndex((l) => l.includes("add as learner"));
    assert.ok(lines.indexOf(taken[1]) < firstAdd, "the snapshot comes before the first add");
    await assertConverged(c, 3, data);
  });

  it("a run that changes nothing takes no snapshot", async () => {
    const before = listSnapshots(directory, "snap");
    const result = await scaleTo(c, 3, "Delete", { snapshot });
    assert.equal(result.snapshot, undefined);
    assert.deepEqual(listSnapshots(directory, "snap"), before);
  });

  it("the provider names the newest snapshot in its outputs, also after a run that took none", async () => {
    const provider = createMembershipProvider(localWorkloadFactory(c.options), TEST_RECONCILE);
    const previous = listSnapshots(directory, "snap").at(-1);
    assert.ok(previous);
    const news = {
      clusterName: "snap",
      namespace: "local",
      owner: "etcd-k8s/test/etcd",
      clusterDomain: "cluster.local",
      size: 3,
      volumePolicy: "Delete" as const,
      access: "pod-ip" as const,
      snapshots: { directory, keep: 2 },
      members: ["snap-0", "snap-1", "snap-2"],
      plan: "no membership change",
    };
    const latestSnapshot = {
      ...verifySnapshotFile(previous),
      path: previous,
      revision: 1,
      member: "snap-0",
      takenAt: "t",
    };
    const olds = {
      ...news,
      clusterId: null,
      leader: null,
      memberStatus: [],
      liveSize: 3,
      latestSnapshot,
    };
    const result = await provider.update?.("local/snap", olds, news);
    assert.deepEqual(result?.outs?.latestSnapshot, latestSnapshot);
    assert.deepEqual(listSnapshots(directory, "snap"), [previous]);
  });

  it("keeps only the newest `keep` snapshots, with their hash files", async () => {
    const first = listSnapshots(directory, "snap")[0];
    await writeData(c, 3, data, "before-second");
    const down = await scaleTo(c, 1, "Delete", { snapshot });
    await writeData(c, 1, data, "before-third");
    const up = await scaleTo(c, 2, "Delete", { snapshot });
    assert.ok(down.snapshot && up.snapshot);
    assert.deepEqual(listSnapshots(directory, "snap"), [down.snapshot.path, up.snapshot.path]);
    assert.equal(fs.existsSync(first), false);
    assert.equal(fs.existsSync(hashFileOf(first)), false);
    assert.deepEqual(
      fs.readdirSync(directory).sort(),
      [down.snapshot.path, up.snapshot.path].flatMap((p) => [
        path.basename(p),
        `${path.basename(p)}.sha256`,
      ]),
      "no partial or stray files",
    );
    await assertConverged(c, 2, data);
  });

  it("refuses the change, naming the member and the error, when the snapshot fails", async () => {
    const blocked = path.join(directory, "not-a-directory");
    fs.writeFileSync(blocked, "");
    const failing = { ...snapshot, directory: path.join(blocked, "inside") };
    await assert.rejects(
      scaleTo(c, 3, "Delete", { snapshot: failing }),
      /refused: the safety snapshot failed, so no membership change was made: snap-\d: .*ENOTDIR/,
    );
    fs.rmSync(blocked);
    const admin = new EtcdAdmin();
    try {
      const list = await admin.memberList(clientURL(c, 0));
      assert.equal(list.members.length, 2, "nothing was added");
    } finally {
      admin.close();
    }
  });

  it("the verifier finds truncated and corrupted copies", () => {
    const latest = listSnapshots(directory, "snap").at(-1);
    assert.ok(latest);
    const good = fs.readFileSync(latest);
    const copy = path.join(directory, "copy.db");
    const verifyCopy = (content: Buffer, expectedBytes?: number) => () => {
      fs.writeFileSync(copy, content);
      verifySnapshotFile(copy, expectedBytes);
    };
    const invalid = (reason: RegExp) => (e: unknown) =>
      e instanceof Error && e.name === INVALID_SNAPSHOT && reason.test(e.message);
    try {
      assert.deepEqual(verifySnapshotFile(latest).bytes, good.length);
      const damaged = invalid(/trailing sha256 etcd appends does not match/);
      assert.throws(verifyCopy(good.subarray(0, good.length - 4096)), damaged);
      const flipped = Buffer.from(good);
      flipped[Math.floor(flipped.length / 2)] ^= 0xff;
      assert.throws(verifyCopy(flipped), damaged);
      assert.throws(verifyCopy(Buffer.alloc(0)), invalid(/the file is empty/));
      assert.throws(verifyCopy(good, good.length + 1), invalid(/but the stream announced/));
    } finally {
      fs.rmSync(copy, { force: true });
    }
  });

  it("restores into a new one-member cluster holding the data, which the provider then grows", async () => {
    const latest = listSnapshots(directory, "snap").at(-1);
    assert.ok(latest);
    await writeData(c, 2, new Map(), "after-snapshot", 5);
    const slot = restored.workload.slot(0);
    const initialCluster = `${slot.name}=${slot.peerURL}`;
    fs.mkdirSync(restored.workload.volumeDir(0), { recursive: true });
    childProcess.execFileSync(
      etcdutlBinary(),
      [
        "snapshot",
        "restore",
        latest,
        `--name=${slot.name}`,
        `--initial-cluster=${initialCluster}`,
        `--initial-advertise-peer-urls=${slot.peerURL}`,
        `--initial-cluster-token=${restored.workload.clusterName}`,
        `--data-dir=${path.join(restored.workload.volumeDir(0), "data")}`,
      ],
      { stdio: "pipe" },
    );
    // As on Kubernetes: member 0's volume holds the restored data, the join configuration says
    // "existing" (etcd ignores it over a data directory), then one replica, then grow.
    await restored.workload.writeJoinConfig({ state: "existing", initialCluster });
    await restored.workload.scale(1);
    await scaleTo(restored, 3, "Delete", { waitBudgetMs: 60_000 });
    await assertConverged(restored, 3, data);
    const client = dataClient([clientURL(restored, 0)]);
    try {
      const after = await client.getAll().prefix("after-snapshot/").keys();
      assert.deepEqual(after, [], "writes after the snapshot are not in it");
    } finally {
      client.close();
    }
  });
});
