/**
 * A `secret` volume as the kubelet materializes it: one file per key (or per `items` entry, at its
 * path), mode `defaultMode` (0644 unless set) or the item's own, and with an fsGroup the files
 * belong to that group and are group-readable. Run again when the Secret changes, it swaps in the
 * new content all at once and drops keys that are gone: that is how a renewed certificate reaches a
 * running etcd, which re-reads its certificate files on every handshake.
 */
import type { V1Secret, V1SecretVolumeSource } from "@kubernetes/client-node";
import * as fs from "node:fs";
import * as path from "node:path";

/** The kubelet's default for `defaultMode` (0644). */
export const DEFAULT_SECRET_MODE = 0o644;
/** What the kubelet's SetVolumeOwnership adds for the fsGroup on a read-only volume. */
const GROUP_READ = 0o440;

interface SecretFile {
  path: string;
  content: Buffer;
  mode: number;
}

/** The files the volume should hold, or why it cannot be set up (the kubelet's message). */
export function secretFiles(
  source: V1SecretVolumeSource,
  secret: V1Secret | undefined,
): SecretFile[] | string {
  const name = source.secretName ?? "";
  if (!secret) return source.optional ? [] : `secret "${name}" not found`;
  const data = secret.data ?? {};
  const defaultMode = source.defaultMode ?? DEFAULT_SECRET_MODE;
  const items =
    source.items ?? Object.keys(data).map((key) => ({ key, path: key, mode: undefined }));
  const files: SecretFile[] = [];
  for (const item of items) {
    const value = data[item.key];
    if (value === undefined) {
      if (source.optional) continue;
      return `couldn't find key ${item.key} in Secret "${name}"`;
    }
    if (
      path.isAbsolute(item.path) ||
      item.path.split("/").includes("..") ||
      item.path.startsWith("..")
    )
      return `secret "${name}": item path ${JSON.stringify(item.path)} must be relative, without '..' and not start with '..'`;
    files.push({
      path: item.path,
      content: Buffer.from(value, "base64"),
      mode: item.mode ?? defaultMode,
    });
  }
  return files;
}

/** The link that names the current generation of the files; swapped by one rename. */
const DATA_LINK = "..data";
const DATA_LINK_NEXT = "..data_tmp";

/** A file's mode: its own, made group-readable when an fsGroup owns the volume. */
const modeOf = (file: SecretFile, fsGroup?: number) =>
  fsGroup === undefined ? file.mode : file.mode | GROUP_READ;

/** Whether the generation directory `current` holds exactly `files`, with their modes and group. */
function holdsExactly(current: string, files: SecretFile[], fsGroup?: number): boolean {
  if (existingFiles(current).length !== files.length) return false;
  return files.every((file) => {
    try {
      const target = path.join(current, file.path);
      const info = fs.statSync(target);
      return (
        (info.mode & 0o7777) === modeOf(file, fsGroup) &&
        (fsGroup === undefined || info.gid === fsGroup) &&
        fs.readFileSync(target).equals(file.content)
      );
    } catch {
      return false;
    }
  });
}

/** Lists the regular files below `dir`, relative to it. */
function existingFiles(dir: string, prefix = ""): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(prefix, entry.name);
    return entry.isDirectory() ? existingFiles(path.join(dir, entry.name), relative) : [relative];
  });
}

/** The generation directory `..data` points to, if any. */
function currentGeneration(dir: string): string | undefined {
  try {
    return path.join(dir, fs.readlinkSync(path.join(dir, DATA_LINK)));
  } catch {
    return undefined;
  }
}

/** A fresh generation directory (`..<time>.<random>`, as the kubelet names it) holding `files`. */
function writeGeneration(dir: string, files: SecretFile[], fsGroup?: number): string {
  const stamp = new Date().toISOString().replace(/[-:T]/g, "_").replace(/\..*$/, "");
  const generation = fs.mkdtempSync(path.join(dir, `..${stamp}.`));
  fs.chmodSync(generation, 0o755);
  for (const file of files) {
    const target = path.join(generation, file.path);
    const mode = modeOf(file, fsGroup);
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
    fs.writeFileSync(target, file.content, { mode });
    fs.chmodSync(target, mode);
    if (fsGroup !== undefined) fs.chownSync(target, 0, fsGroup);
  }
  return generation;
}

/** Makes `dir/name` the link `..data/name`, replacing whatever else is there. */
function linkThroughData(dir: string, name: string): void {
  const link = path.join(dir, name);
  const wanted = path.join(DATA_LINK, name);
  const current = fs.lstatSync(link, { throwIfNoEntry: false });
  if (current?.isSymbolicLink() && fs.readlinkSync(link) === wanted) return;
  fs.rmSync(link, { recursive: true, force: true });
  fs.symlinkSync(wanted, link);
}

/**
 * Brings `dir` to the Secret's content as the kubelet's AtomicWriter does: the files are written
 * into a new generation directory, `..data` is swapped to it by one rename, and each visible name
 * is a link through `..data`; so a reader sees all of the old content or all of the new, never a
 * new certificate beside the old key. Returns undefined when done, or the reason the volume cannot
 * be set up; then nothing in `dir` is changed (a running container keeps what it had).
 */
export function writeSecretVolume(
  dir: string,
  source: V1SecretVolumeSource,
  secret: V1Secret | undefined,
  fsGroup?: number,
): string | undefined {
  const files = secretFiles(source, secret);
  if (typeof files === "string") return files;
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const previous = currentGeneration(dir);
  if (previous !== undefined && holdsExactly(previous, files, fsGroup)) return undefined;
  const generation = writeGeneration(dir, files, fsGroup);
  fs.rmSync(path.join(dir, DATA_LINK_NEXT), { force: true });
  fs.symlinkSync(path.basename(generation), path.join(dir, DATA_LINK_NEXT));
  fs.renameSync(path.join(dir, DATA_LINK_NEXT), path.join(dir, DATA_LINK));
  const visible = new Set(files.map((f) => f.path.split(path.sep)[0]!));
  for (const name of visible) linkThroughData(dir, name);
  for (const entry of fs.readdirSync(dir)) {
    const stale = entry.startsWith("..")
      ? entry !== DATA_LINK && entry !== path.basename(generation)
      : !visible.has(entry);
    if (stale) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
  }
  return undefined;
}
