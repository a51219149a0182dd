/**
 * Where the end-to-end tooling finds the binaries it runs. A missing binary is an error that says
 * how to build it: the tests fail with that message rather than skip.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The repository root: the nearest ancestor that holds the Kubernetes wrapper module. */
export function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "test/e2e/kube/go.mod"))) return dir;
    if (path.dirname(dir) === dir) {
      throw new Error(`cannot find the repository root (test/e2e/kube/go.mod) above ${__dirname}`);
    }
  }
}

/** The Kubernetes version test/e2e/kube/go.mod pins, e.g. `v1.32.5`. */
export function pinnedKubernetesVersion(root = repoRoot()): string {
  const goMod = fs.readFileSync(path.join(root, "test/e2e/kube/go.mod"), "utf8");
  const version = /k8s\.io\/kubernetes (v1\.\d+\.\d+)/.exec(goMod)?.[1];
  if (version === undefined)
    throw new Error("test/e2e/kube/go.mod does not require k8s.io/kubernetes");
  return version;
}

export interface KubeBinaries {
  version: string;
  apiserver: string;
  controllerManager: string;
  /** The process kubelet's port-forward server (test/e2e/kube/kubelet-streaming). */
  kubeletStreaming: string;
  /** client-go's SPDY port-forward client (test/e2e/kube/spdy-port-forward). */
  spdyPortForward: string;
}

function executable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * kube-apiserver, kube-controller-manager and the process kubelet's kubelet-streaming of the pinned
 * version, from scripts/build-kube.sh.
 */
export function kubeBinaries(root = repoRoot()): KubeBinaries {
  const version = pinnedKubernetesVersion(root);
  const dir = path.join(root, ".tools/kube", version);
  const binaries = {
    version,
    apiserver: path.join(dir, "kube-apiserver"),
    controllerManager: path.join(dir, "kube-controller-manager"),
    kubeletStreaming: path.join(dir, "kubelet-streaming"),
    spdyPortForward: path.join(dir, "spdy-port-forward"),
  };
  const missing = [
    binaries.apiserver,
    binaries.controllerManager,
    binaries.kubeletStreaming,
    binaries.spdyPortForward,
  ].filter((f) => !executable(f));
  if (missing.length > 0) {
    throw new Error(
      `Kubernetes ${version} binaries are missing (${missing.join(", ")}): run 'bash scripts/build-kube.sh' (needs Go 1.24+, about 15 minutes cold; kubelet-streaming alone takes seconds with a warm Go cache)`,
    );
  }
  return binaries;
}

/** etcd 3.5: ETCD_BIN_35, or what scripts/install-etcd.sh builds into .tools/etcd-3.5. */
export function etcd35Binary(root = repoRoot()): string {
  const binary = process.env.ETCD_BIN_35 ?? path.join(root, ".tools/etcd-3.5/etcd");
  if (!executable(binary)) {
    throw new Error(
      `etcd 3.5 is missing at ${binary}: run 'bash scripts/install-etcd.sh' (or set ETCD_BIN_35)`,
    );
  }
  return binary;
}

/** cert-manager's CRD files, from scripts/fetch-cert-manager-crds.sh. */
export function certManagerCrdFiles(root = repoRoot()): string[] {
  const parent = path.join(root, ".tools/cert-manager");
  const versions = fs.existsSync(parent) ? fs.readdirSync(parent) : [];
  const dir = versions.length > 0 ? path.join(parent, versions.sort().at(-1)!, "crds") : "";
  const files =
    dir && fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith(".yaml")) : [];
  if (files.length === 0) {
    throw new Error(
      `cert-manager's CRDs are missing under ${parent}: run 'bash scripts/fetch-cert-manager-crds.sh'`,
    );
  }
  return files.map((f) => path.join(dir, f));
}

/** cert-manager's controller, from scripts/build-cert-manager.sh (the version of its CRDs). */
export function certManagerControllerBinary(root = repoRoot()): string {
  const goMod = fs.readFileSync(
    path.join(root, "toolchain/cert-manager-controller/go.mod"),
    "utf8",
  );
  const version = /github\.com\/cert-manager\/cert-manager (v\d+\.\d+\.\d+)/.exec(goMod)?.[1];
  if (version === undefined)
    throw new Error("toolchain/cert-manager-controller/go.mod does not require cert-manager");
  const binary = path.join(root, ".tools/cert-manager", version, "cert-manager-controller");
  if (!executable(binary)) {
    throw new Error(
      `cert-manager's controller ${version} is missing at ${binary}: run 'bash scripts/build-cert-manager.sh' (needs Go 1.26+, about 3 minutes cold)`,
    );
  }
  return binary;
}
