/**
 * Checks that a file is an intact etcd snapshot, without etcd: etcd appends a sha256 of the
 * database to the stream, and the database is a bbolt file whose first page is a meta page with a
 * fixed magic number. Reads the file once; cheap next to the stream that wrote it.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import { namedError } from "../../model/errors";

/** etcd ends every snapshot stream with the sha256 of the bytes before it. */
export const TRAILING_HASH_BYTES = 32;
/** bbolt: page header (16 bytes), then the meta page's magic and format version. */
const BOLT_MAGIC = 0xed0cdaed;
const BOLT_VERSION = 2;
const META_OFFSET = 16;

export interface VerifiedSnapshot {
  /** Size of the file, trailing hash included. */
  bytes: number;
  /** sha256 of the whole file, hex, as `sha256sum` prints it. */
  sha256: string;
}

/** The name of the error a snapshot that fails verification is refused with (model/errors.ts). */
export const INVALID_SNAPSHOT = "InvalidSnapshot";

function invalidSnapshot(file: string, reason: string): Error {
  return namedError(INVALID_SNAPSHOT, `snapshot ${file} is not valid: ${reason}`);
}

/**
 * Verifies size (above zero and, when given, the size the stream announced), the trailing sha256
 * and the bbolt header; returns the file's size and sha256.
 */
export function verifySnapshotFile(file: string, expectedBytes?: number): VerifiedSnapshot {
  const content = fs.readFileSync(file);
  const fail = (reason: string) => invalidSnapshot(file, reason);
  if (content.length === 0) throw fail("the file is empty");
  if (expectedBytes !== undefined && content.length !== expectedBytes)
    throw fail(`${content.length} bytes, but the stream announced ${expectedBytes}`);
  if (content.length < META_OFFSET + 12 + TRAILING_HASH_BYTES)
    throw fail(`${content.length} bytes is too short for an etcd snapshot`);
  const body = content.subarray(0, content.length - TRAILING_HASH_BYTES);
  const trailing = content.subarray(content.length - TRAILING_HASH_BYTES);
  if (!crypto.createHash("sha256").update(body).digest().equals(trailing))
    throw fail(
      "the trailing sha256 etcd appends does not match the content (truncated or corrupted)",
    );
  const magic = body.readUInt32LE(META_OFFSET);
  const version = body.readUInt32LE(META_OFFSET + 4);
  const pageSize = body.readUInt32LE(META_OFFSET + 8);
  if (magic !== BOLT_MAGIC || version !== BOLT_VERSION)
    throw fail(`no bbolt meta page (magic 0x${magic.toString(16)}, version ${version})`);
  if (pageSize === 0 || body.length % pageSize !== 0)
    throw fail(
      `the database (${body.length} bytes) is not a whole number of ${pageSize}-byte pages`,
    );
  return {
    bytes: content.length,
    sha256: crypto.createHash("sha256").update(content).digest("hex"),
  };
}

/** The sidecar `<file>.sha256`, in `sha256sum -c` format. */
export const hashFileOf = (file: string): string => `${file}.sha256`;

export function hashLine(sha256: string, file: string): string {
  return `${sha256}  ${file.split("/").pop() ?? file}\n`;
}
