/**
 * fsGroup on a volume, as the kubelet's SetVolumeOwnership does it: group ownership to fsGroup,
 * group read/write (and execute for directories and executables), setgid on directories. With
 * fsGroupChangePolicy OnRootMismatch nothing is done when the volume's root already fits.
 */
import * as fs from "node:fs";
import * as path from "node:path";

const DIR_MASK = 0o770 | 0o2000;
const FILE_MASK = 0o660;

function fixOne(file: string, gid: number): void {
  const info = fs.lstatSync(file);
  if (info.isSymbolicLink()) return;
  fs.chownSync(file, info.uid, gid);
  const mask = info.isDirectory() ? DIR_MASK : FILE_MASK | (info.mode & 0o111 ? 0o110 : 0);
  fs.chmodSync(file, (info.mode & 0o7777) | mask);
}

function walk(dir: string, gid: number): void {
  fixOne(dir, gid);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(file, gid);
    else fixOne(file, gid);
  }
}

export function applyFsGroup(root: string, fsGroup: number, policy: string): void {
  const info = fs.statSync(root);
  const rootFits = info.gid === fsGroup && (info.mode & DIR_MASK) === DIR_MASK;
  if (policy === "OnRootMismatch" && rootFits) return;
  walk(root, fsGroup);
}
