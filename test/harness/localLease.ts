/**
 * The membership lease over files in a directory, for tests that run the provider against local
 * etcd processes, across processes. Same logic and expiry as on Kubernetes (../../providers/
 * membership/lease.ts); only the store differs.
 *
 * Compare-and-swap without a lock (so nothing is left locked by a killed process): version N of
 * the lease is the file `v<N>.json`, written to a temporary file and hard-linked into place.
 * `link` fails if the name exists, so of two writers replacing version N only one creates
 * `v<N+1>.json`. Old versions are removed once a newer one exists; a writer whose link succeeded
 * because its target had already been removed sees a newer version and counts it as a conflict.
 * Node built-ins only, so the provider serializes with it (as localWorkload.ts).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  changeLease,
  type ChangeLease,
  type LeaseContent,
  type LeaseRecord,
  type LeaseStore,
} from "../../providers/membership/lease";

/** `subject` names what the lease guards, in messages. */
export function localChangeLease(
  dir: string,
  subject = `the local cluster in ${dir}`,
): ChangeLease {
  return changeLease(localLeaseStore(dir, subject));
}

export function localLeaseStore(dir: string, subject = `the local cluster in ${dir}`): LeaseStore {
  return {
    name: `lease file ${dir}`,
    subject,
    read: async () => readNewest(dir),
    create: async (content) => writeVersion(dir, 0, content),
    replace: async (version, content) => writeVersion(dir, Number(version), content),
  };
}

const VERSION_FILE = /^v(\d+)\.json$/;

const versionFile = (dir: string, version: number) => path.join(dir, `v${version}.json`);

function versions(dir: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  return names.flatMap((n) => {
    const match = VERSION_FILE.exec(n);
    return match ? [Number(match[1])] : [];
  });
}

const newest = (dir: string): number => Math.max(0, ...versions(dir));

function readNewest(dir: string): LeaseRecord | undefined {
  for (;;) {
    const version = newest(dir);
    if (version === 0) return undefined;
    try {
      const content = JSON.parse(
        fs.readFileSync(versionFile(dir, version), "utf8"),
      ) as LeaseContent;
      return { ...content, version: String(version) };
    } catch (error) {
      // Removed since the listing: a newer version exists, read that one.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
}

/** Writes version `expected + 1`; undefined when `expected` is no longer the newest version. */
function writeVersion(
  dir: string,
  expected: number,
  content: LeaseContent,
): LeaseRecord | undefined {
  if (!Number.isInteger(expected) || expected < 0) return undefined;
  fs.mkdirSync(dir, { recursive: true });
  const next = expected + 1;
  const temporary = path.join(dir, `.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
  fs.writeFileSync(temporary, JSON.stringify(content));
  try {
    fs.linkSync(temporary, versionFile(dir, next));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return undefined;
    throw error;
  } finally {
    fs.rmSync(temporary, { force: true });
  }
  if (newest(dir) !== next) {
    // Linked over a removed old version: not the lease anyone reads. Undo, and report a conflict.
    fs.rmSync(versionFile(dir, next), { force: true });
    return undefined;
  }
  removeOlder(dir, next);
  return { ...content, version: String(next) };
}

function removeOlder(dir: string, version: number): void {
  for (const old of versions(dir)) {
    if (old < version) fs.rmSync(versionFile(dir, old), { force: true });
  }
}
