/**
 * The snapshot stream against one real etcd 3.5 member on 127.0.77.x, holding a few MB so that a
 * stream cut short is still far from its end: a failing write and the deadline cancel the call
 * (etcd's own gRPC metrics show the stream handled and few messages sent), nothing is written
 * after the failure, the store leaves no file behind, and snapshots are owner-only.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { type StatusObject, status as grpcStatus } from "@grpc/grpc-js";
import type * as etcd3 from "etcd3";
import { pollUntil } from "../../providers/backoff";
import { EtcdAdmin } from "../../providers/etcd/admin";
import { type WriteChunk, streamSnapshot } from "../../providers/etcd/snapshotStream";
import { hashFileOf } from "../../providers/snapshots/verify";
import { listSnapshots, takeSnapshot } from "../../providers/snapshots/store";
import { METRICS_PORT } from "../../model/naming";
import { type LocalCluster, dataClient, localCluster } from "../harness/localCluster";

const CLUSTER = "snapstream";
/** etcd sends the database in chunks of this size. */
const ETCD_CHUNK_BYTES = 32 * 1024;
const patience = { budgetMs: 30_000, initialDelayMs: 20, maxDelayMs: 250 };

/** What one snapshot stream showed to a listener attached before the code under test. */
interface Observed {
  dataEvents: number;
  status: Promise<StatusObject>;
}

/**
 * Records every snapshot stream `client` opens. `ownDeadlineOnly` keeps the deadline away from
 * grpc-js and etcd, so that only streamSnapshot's own timer can end a stalled stream.
 */
function observeSnapshotStreams(client: etcd3.Etcd3, ownDeadlineOnly = false): Observed[] {
  const streams: Observed[] = [];
  const open = client.maintenance.snapshot.bind(client.maintenance);
  client.maintenance.snapshot = async (options) => {
    const stream = await open(ownDeadlineOnly ? {} : options);
    const observed: Observed = {
      dataEvents: 0,
      status: new Promise((resolve) => stream.on("status", resolve)),
    };
    stream.on("data", () => observed.dataEvents++);
    streams.push(observed);
    return stream;
  };
  return streams;
}

/** The stream's final status, which grpc-js reports once the call is over on the client. */
async function finalStatus(observed: Observed): Promise<StatusObject> {
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error("the stream never ended")), 10_000).unref(),
  );
  return Promise.race([observed.status, timeout]);
}

interface ServerStreams {
  started: number;
  handled: number;
  messagesSent: number;
}

/** The member's count of Snapshot streams, from its gRPC server metrics. */
async function serverSnapshotStreams(c: LocalCluster): Promise<ServerStreams> {
  const response = await fetch(`http://${c.workload.ip(0)}:${METRICS_PORT}/metrics`);
  const lines = (await response.text())
    .split("\n")
    .filter((line) => line.includes('grpc_method="Snapshot"'));
  const sum = (metric: string) =>
    lines
      .filter((line) => line.startsWith(`${metric}{`))
      .reduce((total, line) => total + Number(line.split(" ").at(-1)), 0);
  return {
    started: sum("grpc_server_started_total"),
    handled: sum("grpc_server_handled_total"),
    messagesSent: sum("grpc_server_msg_sent_total"),
  };
}

/** Waits until etcd has finished every Snapshot stream it started; returns its counts then. */
async function serverIdle(c: LocalCluster): Promise<ServerStreams> {
  const idle = await pollUntil(patience, async () => {
    const streams = await serverSnapshotStreams(c);
    return streams.handled === streams.started ? streams : undefined;
  });
  assert.ok(idle, "etcd still serves a snapshot stream the client gave up");
  return idle;
}

const modeOf = (file: string) => fs.statSync(file).mode & 0o777;

/** A client of its own per stream: etcd3 resets a client's channels when a stream fails. */
async function withClient<T>(url: string, use: (client: etcd3.Etcd3) => Promise<T>): Promise<T> {
  const client = dataClient([url]);
  try {
    return await use(client);
  } finally {
    client.close();
  }
}

/** Writes about 4 MB, and waits until etcd's database file holds it; returns its size. */
async function fillDatabase(admin: EtcdAdmin, url: string, client: etcd3.Etcd3): Promise<number> {
  const ready = await pollUntil(patience, () =>
    client
      .put("ready")
      .value("yes")
      .then(
        () => true,
        () => undefined,
      ),
  );
  assert.ok(ready, "the member never took a write");
  const value = Buffer.alloc(100_000, "x");
  for (let k = 0; k < 40; k++) await client.put(`bulk/${k}`).value(value);
  // etcd commits to its database file in batches: the size grows a moment after the writes.
  const dbSize = await pollUntil(patience, async () => {
    const { dbSize } = await admin.status(url);
    return dbSize > 100 * ETCD_CHUNK_BYTES ? dbSize : undefined;
  });
  assert.ok(dbSize, "the database never grew past a hundred chunks");
  return dbSize;
}

describe("the snapshot stream against etcd 3.5", () => {
  const c: LocalCluster = localCluster(CLUSTER, "127.0.77", "3.5");
  const url = `http://${c.workload.ip(0)}:2379`;
  const admin = new EtcdAdmin();
  const base = fs.mkdtempSync(path.join(os.tmpdir(), "etcd-snapshot-stream-"));
  /** Chunks a whole snapshot of the member takes. */
  let fullStreamMessages = 0;

  before(async () => {
    const self = c.workload.slot(0);
    await c.workload.writeJoinConfig({
      state: "new",
      initialCluster: `${self.name}=${self.peerURL}`,
    });
    await c.workload.scale(1);
    const dbSize = await withClient(url, (client) => fillDatabase(admin, url, client));
    fullStreamMessages = Math.ceil(dbSize / ETCD_CHUNK_BYTES);
  });

  after(async () => {
    admin.close();
    await c.dispose();
    fs.rmSync(base, { recursive: true, force: true });
  });

  it("a failing write cancels the stream, writes nothing more, and the store keeps no file", async () => {
    const full = fs.openSync("/dev/full", "w");
    const directory = path.join(base, "failing");
    const before = await serverIdle(c);
    try {
      await withClient(url, async (client) => {
        const streams = observeSnapshotStreams(client);
        let writes = 0;
        let dataEventsAtFailure = -1;
        // The second chunk hits a full disk: the kernel's own ENOSPC, from /dev/full.
        const failOnSecond: WriteChunk = (fd, data) => {
          writes++;
          if (writes < 2) return fs.writeSync(fd, data);
          dataEventsAtFailure = streams[0].dataEvents;
          return fs.writeSync(full, data);
        };
        const source = {
          snapshot: (_url: string, file: string, timeoutMs: number) =>
            streamSnapshot(client, file, timeoutMs, failOnSecond),
        };
        await assert.rejects(
          takeSnapshot(source, url, `${CLUSTER}-0`, CLUSTER, { directory, keep: 2 }),
          (e: NodeJS.ErrnoException) => e.code === "ENOSPC" && /no space left/.test(e.message),
        );
        assert.equal(writes, 2);
        assert.equal(streams.length, 1);
        const status = await finalStatus(streams[0]);
        assert.equal(status.code, grpcStatus.CANCELLED, `the call ended with ${status.details}`);
        assert.equal(streams[0].dataEvents, dataEventsAtFailure, "no data after the failure");
        assert.equal(writes, 2, "no write after the failed one");
      });
    } finally {
      fs.closeSync(full);
    }
    const afterwards = await serverIdle(c);
    assert.equal(afterwards.started - before.started, 1);
    const sent = afterwards.messagesSent - before.messagesSent;
    assert.ok(
      sent < fullStreamMessages / 2,
      `etcd sent ${sent} of the ${fullStreamMessages} messages of a whole snapshot`,
    );
    assert.deepEqual(fs.readdirSync(directory), [], "no partial or stored snapshot");
  });

  it("its own deadline cancels a stream that has not ended", async () => {
    const timeoutMs = 2_000;
    const file = path.join(base, "deadline.db");
    const before = await serverIdle(c);
    await withClient(url, async (client) => {
      const streams = observeSnapshotStreams(client, true);
      let writes = 0;
      // The first write outlasts the whole deadline, as a stalled disk would.
      const stalled: WriteChunk = (fd, data) => {
        if (writes++ === 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, timeoutMs);
        return fs.writeSync(fd, data);
      };
      await assert.rejects(
        streamSnapshot(client, file, timeoutMs, stalled),
        /the snapshot stream did not end before its deadline/,
      );
      const writesAtRejection = writes;
      const status = await finalStatus(streams[0]);
      assert.equal(status.code, grpcStatus.CANCELLED, `the call ended with ${status.details}`);
      assert.equal(writes, writesAtRejection, "no write after the deadline");
    });
    const afterwards = await serverIdle(c);
    assert.equal(afterwards.started - before.started, 1);
    assert.ok(afterwards.messagesSent - before.messagesSent < fullStreamMessages / 2);
  });

  it("a snapshot into a new directory is owner-only: directories 0700, files 0600", async () => {
    const created = path.join(base, "new");
    const directory = path.join(created, "nested");
    const record = await takeSnapshot(admin, url, `${CLUSTER}-0`, CLUSTER, { directory, keep: 2 });
    assert.deepEqual(listSnapshots(directory, CLUSTER), [record.path]);
    assert.equal(modeOf(created).toString(8), "700");
    assert.equal(modeOf(directory).toString(8), "700");
    assert.equal(modeOf(record.path).toString(8), "600");
    assert.equal(modeOf(hashFileOf(record.path)).toString(8), "600");
  });

  it("leaves the mode of a directory that already exists alone", async () => {
    const directory = path.join(base, "existing");
    fs.mkdirSync(directory);
    fs.chmodSync(directory, 0o755);
    const record = await takeSnapshot(admin, url, `${CLUSTER}-0`, CLUSTER, { directory, keep: 2 });
    assert.equal(modeOf(directory).toString(8), "755");
    assert.equal(modeOf(record.path).toString(8), "600");
    assert.equal(modeOf(hashFileOf(record.path)).toString(8), "600");
  });
});
