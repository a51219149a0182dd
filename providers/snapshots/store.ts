/**
 * Safety snapshots on disk: one file per membership-changing run, named by cluster and time so
 * that names sort by age, each written under a temporary name, verified, then renamed and given a
 * `.sha256` sidecar; only the newest `keep` are kept.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { SnapshotSettings } from "../../model/config/snapshotRules";
import type { EtcdAdmin } from "../etcd/admin";
import { hashFileOf, hashLine, verifySnapshotFile } from "./verify";

/** The `latestSnapshot` output. */
export interface SnapshotRecord {
  path: string;
  /** File size, etcd's trailing hash included. */
  bytes: number;
  sha256: string;
  /** Store revision the member reported right before the stream; the snapshot holds at least it. */
  revision: number;
  /** The member it was taken from. */
  member: string;
  /** ISO 8601. */
  takenAt: string;
}

/**
 * Owner-only, as the snapshots inside hold every key. Only directories the store creates get this
 * mode: a directory that already exists keeps the mode its owner chose, never chmodded here. The
 * umask applies at creation, and a usual one (022, 077) leaves 0700 and 0600 as they are.
 */
const DIRECTORY_MODE = 0o700;
/** The sidecar names the snapshot and its hash: as private as the snapshot itself. */
const HASH_FILE_MODE = 0o600;

/** A snapshot stream gets this long; the unary call deadline would cut a large database short. */
export const SNAPSHOT_TIMEOUT_MS = 600_000;

const SUFFIX = ".db";

/** `20250102T030405123Z`: sortable, and without the colons some file systems refuse. */
const stamp = (date: Date): string => date.toISOString().replace(/[-:.]/g, "");

const isSnapshotOf = (cluster: string, name: string): boolean =>
  name.startsWith(`${cluster}-`) && name.endsWith(SUFFIX) && /-\d{8}T\d{9}Z\.db$/.test(name);

/** This cluster's snapshot files in `directory`, oldest first. */
export function listSnapshots(directory: string, cluster: string): string[] {
  if (!fs.existsSync(directory)) return [];
  return fs
    .readdirSync(directory)
    .filter((name) => isSnapshotOf(cluster, name))
    .sort()
    .map((name) => path.join(directory, name));
}

/** Deletes all but the newest `keep` snapshots of this cluster, with their sidecars. */
export function pruneSnapshots(directory: string, cluster: string, keep: number): void {
  const files = listSnapshots(directory, cluster);
  for (const file of files.slice(0, Math.max(0, files.length - keep))) {
    fs.rmSync(file, { force: true });
    fs.rmSync(hashFileOf(file), { force: true });
  }
}

/**
 * Streams a snapshot from the member at `url`, verifies it against what the stream announced and
 * etcd's trailing hash, stores it with its sha256 and prunes older ones. A failed attempt leaves
 * no file behind.
 */
export async function takeSnapshot(
  admin: Pick<EtcdAdmin, "snapshot">,
  url: string,
  member: string,
  cluster: string,
  settings: SnapshotSettings,
  timeoutMs = SNAPSHOT_TIMEOUT_MS,
): Promise<SnapshotRecord> {
  fs.mkdirSync(settings.directory, { recursive: true, mode: DIRECTORY_MODE });
  const takenAt = new Date();
  const file = path.join(settings.directory, `${cluster}-${stamp(takenAt)}${SUFFIX}`);
  const partial = `${file}.partial`;
  try {
    const streamed = await admin.snapshot(url, partial, timeoutMs);
    const verified = verifySnapshotFile(partial, streamed.bytes);
    fs.renameSync(partial, file);
    fs.writeFileSync(hashFileOf(file), hashLine(verified.sha256, file), {
      mode: HASH_FILE_MODE,
    });
    pruneSnapshots(settings.directory, cluster, settings.keep);
    return {
      path: file,
      bytes: verified.bytes,
      sha256: verified.sha256,
      revision: streamed.revision,
      member,
      takenAt: takenAt.toISOString(),
    };
  } finally {
    fs.rmSync(partial, { force: true });
  }
}
