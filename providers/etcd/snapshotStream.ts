/**
 * One etcd snapshot stream into a file. The stream comes from the single member the client points
 * at; its messages carry `remaining_bytes` of the database, and after the database etcd sends the
 * 32-byte sha256 of it (remaining 0), which the verifier checks.
 */
import * as fs from "node:fs";
import type * as etcd3 from "etcd3";

export interface StreamedSnapshot {
  /** Bytes written: the database as announced, plus the trailing hash. */
  bytes: number;
  /** Database size the stream announced with its first chunk. */
  announcedDatabaseBytes: number;
  /** Store revision the member reported right before the stream: the snapshot holds at least it. */
  revision: number;
}

/** Writes bytes at the file position and says how many it wrote, as `fs.writeSync` does. */
export type WriteChunk = (fd: number, data: Uint8Array) => number;

const TRAILING_HASH_BYTES = 32;

/** The snapshot holds every key, secrets included: only its owner may read it. */
const SNAPSHOT_FILE_MODE = 0o600;

type ResponseStream = etcd3.IResponseStream<etcd3.ISnapshotResponse>;

/**
 * What etcd3 hands out at run time: grpc-js's ClientReadableStream. etcd3's type leaves out
 * `cancel` (ends the call, so etcd stops sending) and `destroy` (drops messages already received).
 */
interface CancellableStream extends ResponseStream {
  cancel(): void;
  destroy(): void;
}

function isCancellable(stream: ResponseStream): stream is CancellableStream {
  const candidate = stream as Partial<CancellableStream>;
  return typeof candidate.cancel === "function" && typeof candidate.destroy === "function";
}

/** A write may be short (a disk filling up), and a short write is not an error by itself. */
function writeAll(fd: number, data: Uint8Array, write: WriteChunk): void {
  for (let offset = 0; offset < data.length;) {
    const written = write(fd, data.subarray(offset));
    if (written <= 0) throw new Error(`writing the snapshot wrote ${written} bytes`);
    offset += written;
  }
}

interface Received {
  bytes: number;
  announced: number | undefined;
}

/**
 * Writes every message to `fd` until the stream ends. On the first failure (a write, the stream,
 * the deadline) it cancels the call and writes nothing more: a failed write is not retried with
 * the next chunk, and etcd does not go on reading and sending a database nobody stores.
 */
function receive(
  stream: CancellableStream,
  fd: number,
  deadline: number,
  write: WriteChunk,
): Promise<Received> {
  return new Promise<Received>((resolve, reject) => {
    const received: Received = { bytes: 0, announced: undefined };
    let settled = false;
    // Declared before the closure that clears it: Pulumi's function serialization cannot capture
    // a variable a closure uses before its declaration.
    let timer: ReturnType<typeof setTimeout> | undefined = undefined;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!error) return resolve(received);
      stream.cancel();
      stream.destroy();
      reject(error);
    };
    timer = setTimeout(
      () => settle(new Error("the snapshot stream did not end before its deadline")),
      deadline - Date.now(),
    );
    stream.on("data", (message) => {
      if (settled) return;
      try {
        writeAll(fd, message.blob, write);
      } catch (error) {
        return settle(error as Error);
      }
      received.bytes += message.blob.length;
      if (received.announced === undefined && message.blob.length > 0)
        received.announced = received.bytes + Number(message.remaining_bytes);
    });
    stream.on("error", settle);
    stream.on("end", () => settle());
  });
}

/**
 * Writes the stream to `file` (which must not exist, created owner-only) and syncs it. Writes are
 * synchronous, so a slow disk holds the stream back instead of buffering the database in memory.
 * `write` stands in for `fs.writeSync` in tests of a failing disk.
 */
export async function streamSnapshot(
  client: etcd3.Etcd3,
  file: string,
  timeoutMs: number,
  write: WriteChunk = fs.writeSync,
): Promise<StreamedSnapshot> {
  const deadline = Date.now() + timeoutMs;
  const status = await client.maintenance.status({ deadline });
  // Before the stream: a file that cannot be created must not leave a stream nobody reads.
  const fd = fs.openSync(file, "wx", SNAPSHOT_FILE_MODE);
  let received: Received;
  try {
    const stream = await client.maintenance.snapshot({ deadline });
    if (!isCancellable(stream))
      throw new Error("the etcd3 snapshot stream has no cancel(): etcd3 changed its stream type");
    received = await receive(stream, fd, deadline, write);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  const { bytes, announced } = received;
  if (announced === undefined) throw new Error("the snapshot stream ended without data");
  if (bytes !== announced + TRAILING_HASH_BYTES)
    throw new Error(
      `the snapshot stream announced ${announced} database bytes plus a ${TRAILING_HASH_BYTES}-byte hash, but sent ${bytes} bytes`,
    );
  return { bytes, announcedDatabaseBytes: announced, revision: Number(status.header.revision) };
}
