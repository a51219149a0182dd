/**
 * What the process kubelet knows about container images: no images are pulled; an image is mapped
 * to its configuration (entrypoint, cmd, working dir, environment, user) and to local binaries
 * standing in for the executables inside it.
 */

export interface ImageConfig {
  /** Whether this configuration describes the image reference a container names. */
  matches(image: string): boolean;
  /** ENTRYPOINT and CMD of the image, as a container runtime combines them with command/args. */
  entrypoint: string[];
  cmd: string[];
  workingDir: string;
  /** The image's ENV. */
  env: Record<string, string>;
  /** The user id the image runs as when the pod does not say (0: root). */
  user: number;
  /** Executables inside the image (absolute path) mapped to the local binary that runs instead. */
  executables: Record<string, string>;
}

/** The repository of an image reference: without registry-independent tag or digest. */
export function imageRepository(image: string): string {
  const withoutDigest = image.split("@")[0];
  const lastSlash = withoutDigest.lastIndexOf("/");
  const colon = withoutDigest.lastIndexOf(":");
  return colon > lastSlash ? withoutDigest.slice(0, colon) : withoutDigest;
}

/** PATH of the distroless base images the official etcd images are built on. */
export const DISTROLESS_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/**
 * Any image whose repository's last segment is `etcd` (gcr.io/etcd-development/etcd,
 * quay.io/coreos/etcd, ...) is taken to be the official etcd image: no ENTRYPOINT,
 * `CMD ["/usr/local/bin/etcd"]`, `WORKDIR /var/lib/etcd/`, running as root (etcd's Dockerfile).
 * The image's tag is not honoured: `binary` runs whatever version the image names.
 */
export function officialEtcdImage(binary: string): ImageConfig {
  return {
    matches: (image) => imageRepository(image).split("/").pop() === "etcd",
    entrypoint: [],
    cmd: ["/usr/local/bin/etcd"],
    workingDir: "/var/lib/etcd",
    env: { PATH: DISTROLESS_PATH },
    user: 0,
    executables: { "/usr/local/bin/etcd": binary },
  };
}
