/**
 * A `secret` volume as the kubelet materializes it: one file per key (or per `items` entry, at its
 * path), mode `defaultMode` (0644 unless set) or the item's own, and with an fsGroup the files
 * belong to that group and are group-readable. Run again when the Secret changes, it rewrites only
 * what changed, each file atomically (a reader sees the old or the new content, never a mix), and
 * removes keys that are gone: that is how a renewed certificate reaches a running etcd, which
 * re-reads its certificate files on every handshake.
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
    if (path.isAbsolute(item.path) || item.path.split("/").includes(".."))
      return `secret "${name}": item path ${JSON.stringify(item.path)} must be relative without '..'`;
    files.push({
      path: item.path,
      content: Buffer.from(value, "base64"),
      mode: item.mode ?? defaultMode,
    });
  }
  return files;
}

function sameFile(file: string, content: Buffer, mode: number, gid?: number): boolean {
  try {
    const info = fs.statSync(file);
    return (
      (info.mode & 0o7777) === mode &&
      (gid === undefined || info.gid === gid) &&
      fs.readFileSync(file).equals(content)
    );
  } catch {
    return false;
  }
}

/** Lists the regular files below `dir`, relative to it. */
function existingFiles(dir: string, prefix = ""): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const relative = path.join(prefix, entry.name);
    return entry.isDirectory() ? existingFiles(path.join(dir, entry.name), relative) : [relative];
  });
}

/**
 * Brings `dir` to the Secret's content. Returns undefined when done, or the reason the volume cannot
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
  for (const file of files) {
    const target = path.join(dir, file.path);
    const mode = fsGroup === undefined ? file.mode : file.mode | GROUP_READ;
    if (sameFile(target, file.content, mode, fsGroup)) continue;
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
    const temporary = `${target}.writing`;
    fs.writeFileSync(temporary, file.content, { mode });
    fs.chmodSync(temporary, mode);
    if (fsGroup !== undefined) fs.chownSync(temporary, 0, fsGroup);
    fs.renameSync(temporary, target);
  }
  const wanted = new Set(files.map((f) => path.normalize(f.path)));
  for (const stale of existingFiles(dir).filter((f) => !wanted.has(f)))
    fs.rmSync(path.join(dir, stale), { force: true });
  return undefined;
}
