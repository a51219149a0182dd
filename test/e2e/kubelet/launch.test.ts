import type { V1Container, V1Pod } from "@kubernetes/client-node";
import * as assert from "node:assert/strict";
import { test } from "node:test";
import { officialEtcdImage } from "./images";
import { RunContainerError, mapMountPaths, planLaunch } from "./launch";

const image = officialEtcdImage("/opt/etcd-3.5/etcd");
const mounts = [{ containerPath: "/var/lib/etcd", hostPath: "/k/volumes/pvc-1" }];
const pod = (securityContext = {}): V1Pod => ({
  metadata: { name: "etcd-0", namespace: "db", uid: "u" },
  spec: { hostname: "etcd-0", subdomain: "etcd-peer", containers: [], securityContext },
});
const env = new Map([
  ["ETCD_DATA_DIR", "/var/lib/etcd/data"],
  ["ETCD_LISTEN_CLIENT_URLS", "http://0.0.0.0:2379"],
  ["POD_NAME", "etcd-0"],
]);
const input = (container: V1Container, securityContext = {}) => ({
  pod: pod(securityContext),
  container,
  image,
  env,
  mounts,
  podIP: "127.1.1.1",
  rootfs: "/k/pods/p/rootfs/etcd",
});

test("no command or args: the image's CMD runs, from WORKDIR inside the volume", () => {
  const launch = planLaunch(
    input(
      { name: "etcd", image: "gcr.io/etcd-development/etcd:v3.5.21" },
      { runAsUser: 65532, runAsGroup: 65532 },
    ),
  );
  assert.equal(launch.executable, "/opt/etcd-3.5/etcd");
  assert.deepEqual(launch.args, []);
  assert.equal(launch.cwd, "/k/volumes/pvc-1");
  assert.equal(launch.env.ETCD_DATA_DIR, "/k/volumes/pvc-1/data");
  assert.equal(launch.env.ETCD_LISTEN_CLIENT_URLS, "http://127.1.1.1:2379");
  assert.equal(launch.env.HOSTNAME, "etcd-0");
  assert.deepEqual([launch.uid, launch.gid], [65532, 65532]);
});

test("command and args are expanded and translated; a bare name is found on the image's PATH", () => {
  const launch = planLaunch(
    input({
      name: "etcd",
      image: "quay.io/coreos/etcd:v3.5.21",
      command: ["etcd"],
      args: [
        "--name=$(POD_NAME)",
        "--data-dir=/var/lib/etcd/data",
        "--listen-peer-urls=http://0.0.0.0:2380",
      ],
    }),
  );
  assert.equal(launch.executable, "/opt/etcd-3.5/etcd");
  assert.deepEqual(launch.args, [
    "--name=etcd-0",
    "--data-dir=/k/volumes/pvc-1/data",
    "--listen-peer-urls=http://127.1.1.1:2380",
  ]);
});

test("args without command replace CMD: the official etcd image has no ENTRYPOINT", () => {
  assert.throws(
    () =>
      planLaunch(input({ name: "etcd", image: "quay.io/coreos/etcd:v3.5.21", args: ["--name=x"] })),
    (e: unknown) =>
      e instanceof RunContainerError &&
      /exec: "--name=x": executable file not found/.test(e.message),
  );
});

test("runAsNonRoot without a user refuses the root image, as the kubelet does", () => {
  assert.throws(
    () =>
      planLaunch(
        input({ name: "etcd", image: "quay.io/coreos/etcd:v3.5.21" }, { runAsNonRoot: true }),
      ),
    { message: /container has runAsNonRoot and image will run as root/ },
  );
});

test("mount paths are rewritten only where a path starts", () => {
  assert.equal(mapMountPaths("/var/lib/etcd", mounts), "/k/volumes/pvc-1");
  assert.equal(mapMountPaths("/var/lib/etcdx", mounts), "/var/lib/etcdx");
  assert.equal(mapMountPaths("/opt/var/lib/etcd", mounts), "/opt/var/lib/etcd");
  assert.equal(
    mapMountPaths("a=/var/lib/etcd/wal,/var/lib/etcd/snap", mounts),
    "a=/k/volumes/pvc-1/wal,/k/volumes/pvc-1/snap",
  );
});
