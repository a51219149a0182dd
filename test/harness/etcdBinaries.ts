/**
 * Where the tests find etcd: ETCD_BIN_34 / ETCD_BIN_35, defaulting to Debian's /usr/bin/etcd and
 * .tools/etcd-3.5/etcd. A missing binary is a failure that says how to install it, never a skip.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export type EtcdVersion = "3.4" | "3.5";

const repoRoot = path.resolve(__dirname, "..", "..", "..");

export function etcdBinary(version: EtcdVersion): string {
  const variable = version === "3.4" ? "ETCD_BIN_34" : "ETCD_BIN_35";
  const fallback =
    version === "3.4" ? "/usr/bin/etcd" : path.join(repoRoot, ".tools", "etcd-3.5", "etcd");
  const binary = process.env[variable] ?? fallback;
  try {
    fs.accessSync(binary, fs.constants.X_OK);
  } catch {
    throw new Error(
      `etcd ${version} is not installed at ${binary}: run scripts/install-etcd.sh, or set ${variable} to an etcd ${version} binary`,
    );
  }
  return binary;
}

/** etcdutl 3.5 (snapshot restore): ETCDUTL_BIN, default .tools/etcd-3.5/etcdutl. */
export function etcdutlBinary(): string {
  const binary = process.env.ETCDUTL_BIN ?? path.join(repoRoot, ".tools", "etcd-3.5", "etcdutl");
  try {
    fs.accessSync(binary, fs.constants.X_OK);
  } catch {
    throw new Error(
      `etcdutl 3.5 is not installed at ${binary}: run scripts/install-etcd.sh, or set ETCDUTL_BIN to an etcdutl 3.5 binary`,
    );
  }
  return binary;
}
