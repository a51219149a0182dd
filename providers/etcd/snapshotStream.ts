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

const TRAILING_HASH_BYTES = 32;

/**
 * Writes the stream to `file` (which must not exist) and syncs it. Writes are synchronous, so a
 * slow disk holds the stream back instead of buffering the database in memory.
 */
export async function streamSnapshot(
  client: etcd3.Etcd3,
  file: string,
  timeoutMs: number,
): Promise<StreamedSnapshot> {
  const deadline = Date.now() + timeoutMs;
  const status = await client.maintenance.status({ deadline });
  const stream = await client.maintenance.snapshot({ deadline });
  const fd = fs.openSync(file, "wx");
  let announced: number | undefined;
  let bytes = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      stream.on("data", (message) => {
        try {
          fs.writeSync(fd, message.blob);
          bytes += message.blob.length;
          if (announced === undefined && message.blob.length > 0)
            announced = bytes + Number(message.remaining_bytes);
        } catch (error) {
          reject(error as Error);
        }
      });
      stream.on("error", reject);
      stream.on("end", resolve);
    });
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (announced === undefined) throw new Error("the snapshot stream ended without data");
  if (bytes !== announced + TRAILING_HASH_BYTES)
    throw new Error(
      `the snapshot stream announced ${announced} database bytes plus a ${TRAILING_HASH_BYTES}-byte hash, but sent ${bytes} bytes`,
    );
  return { bytes, announcedDatabaseBytes: announced, revision: Number(status.header.revision) };
}
