/**
 * How a container of a pod becomes a local process: the argv a container runtime would exec, the
 * environment, the working directory and the user, with two translations that running on a shared
 * host requires (see test/e2e/README.md):
 * - listen addresses `0.0.0.0` become the pod IP: every pod shares the host's ports on loopback,
 *   so each must bind only its own address;
 * - paths under a volume mount become the volume's directory (there is no mount namespace): an env
 *   value, argument or working dir that starts with a mount path is rewritten to the directory
 *   that backs the volume.
 */
import type { V1Container, V1Pod } from "@kubernetes/client-node";
import * as path from "node:path";
import { ContainerConfigError } from "./env";
import { expand, mappingFor } from "./expansion";
import type { ImageConfig } from "./images";

/** The runtime could not start the container (reported as waiting reason RunContainerError). */
export class RunContainerError extends Error {
  readonly reason = "RunContainerError";
}

export interface Mount {
  containerPath: string;
  hostPath: string;
}

export interface Launch {
  executable: string;
  /** Arguments after argv[0]. */
  args: string[];
  env: Record<string, string>;
  cwd: string;
  uid: number;
  gid: number;
}

export interface LaunchInput {
  pod: V1Pod;
  container: V1Container;
  image: ImageConfig;
  /** The resolved container environment (./env). */
  env: ReadonlyMap<string, string>;
  mounts: Mount[];
  podIP: string;
  /** Host directory standing in for the container's own filesystem. */
  rootfs: string;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Rewrites every occurrence of a mount path that starts a path (after start, `=`, `,` or space). */
export function mapMountPaths(value: string, mounts: Mount[]): string {
  const longestFirst = [...mounts].sort((a, b) => b.containerPath.length - a.containerPath.length);
  let result = value;
  for (const mount of longestFirst) {
    const from = mount.containerPath.replace(/\/+$/, "");
    const pattern = new RegExp(`(^|[=, ])${escape(from)}(?=$|[/, ])`, "g");
    result = result.replace(pattern, (_match, lead: string) => `${lead}${mount.hostPath}`);
  }
  return result;
}

/** `0.0.0.0` (all IPv4 addresses) becomes the pod IP. */
export function bindToPodIP(value: string, podIP: string): string {
  return value.replace(/(^|[^0-9.])0\.0\.0\.0(?![0-9.])/g, `$1${podIP}`);
}

/** The container path the runtime would exec: absolute, or looked up in the container's PATH. */
function findExecutable(argv0: string, image: ImageConfig, pathVar: string): string | undefined {
  if (argv0.startsWith("/")) return image.executables[argv0];
  for (const dir of pathVar.split(":")) {
    const local = image.executables[path.posix.join(dir, argv0)];
    if (local !== undefined) return local;
  }
  return undefined;
}

export function planLaunch(input: LaunchInput): Launch {
  const { pod, container, image, mounts, podIP } = input;
  const expandAll = (list: string[] | undefined) =>
    (list ?? []).map((s) => expand(s, mappingFor(input.env)));
  // Kubernetes semantics: command replaces ENTRYPOINT, args replace CMD.
  const argv = container.command?.length
    ? [...expandAll(container.command), ...expandAll(container.args)]
    : [...image.entrypoint, ...(container.args?.length ? expandAll(container.args) : image.cmd)];
  if (argv.length === 0) throw new RunContainerError("no command specified");

  const env: Record<string, string> = {
    ...image.env,
    HOSTNAME: pod.spec?.hostname ?? pod.metadata?.name ?? "",
  };
  for (const [name, value] of input.env) env[name] = value;
  for (const name of Object.keys(env))
    env[name] = mapMountPaths(bindToPodIP(env[name], podIP), mounts);

  const executable = findExecutable(argv[0], image, env.PATH ?? "");
  if (executable === undefined) {
    throw new RunContainerError(
      `exec: "${argv[0]}": executable file not found in image ${container.image} (the process kubelet maps only ${Object.keys(image.executables).join(", ")})`,
    );
  }

  const workingDir = container.workingDir || image.workingDir || "/";
  const mappedDir = mapMountPaths(workingDir, mounts);
  const cwd = mappedDir !== workingDir ? mappedDir : path.join(input.rootfs, workingDir);

  const podSecurity = pod.spec?.securityContext ?? {};
  const security = container.securityContext ?? {};
  const uid = security.runAsUser ?? podSecurity.runAsUser ?? image.user;
  const gid = security.runAsGroup ?? podSecurity.runAsGroup ?? 0;
  if ((security.runAsNonRoot ?? podSecurity.runAsNonRoot) && uid === 0) {
    throw new ContainerConfigError(
      `container has runAsNonRoot and image will run as root (pod: "${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})", container: ${container.name})`,
    );
  }

  return {
    executable,
    args: argv.slice(1).map((a) => mapMountPaths(bindToPodIP(a, podIP), mounts)),
    env,
    cwd,
    uid,
    gid,
  };
}
