/**
 * The process kubelet: one Node whose pods run as local processes (see test/e2e/README.md).
 * It is also the scheduler for that node (binds unscheduled pods) and the provisioner of the
 * default StorageClass (a directory per claim). Everything is driven by list+watch caches of the
 * API server; every change triggers one reconcile pass over all pods.
 */
import * as k8s from "@kubernetes/client-node";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { TestCA } from "../../support/certificates";
import { etcd35Binary, kubeBinaries } from "../support/repo";
import { type CrashLoopBackoff, KUBELET_CRASH_LOOP_BACKOFF } from "./containerRunner";
import { headlessServiceRecords, podOwnHostsEntry } from "./dnsRecords";
import { type HostsEntry, HostsFile } from "./hosts";
import { type ImageConfig, officialEtcdImage } from "./images";
import { IPPool } from "./ipPool";
import { NodeRegistration } from "./node";
import { PodWorker } from "./podWorker";
import { VolumeProvisioner } from "./provisioner";
import { PodScheduler } from "./scheduler";
import { StreamingServer } from "./streaming";
import { WatchCache } from "./watchCache";

export { KUBELET_CRASH_LOOP_BACKOFF, type CrashLoopBackoff } from "./containerRunner";
export { DEFAULT_STORAGE_CLASS, PROVISIONER } from "./provisioner";
export { officialEtcdImage, type ImageConfig } from "./images";

export interface KubeletOptions {
  /** Kubeconfig text (the control plane's `kubeconfig`). */
  kubeconfig: string;
  /** Default `process-kubelet`. */
  nodeName?: string;
  /** The node's InternalIP and every pod's hostIP. Default 127.1.0.1. */
  nodeIP?: string;
  /** Pod IPs are taken from this range, lowest free first. Default 127.1.1.1 - 127.1.255.254. */
  podIPRange?: { first: string; last: string };
  /** Default `cluster.local`. */
  clusterDomain?: string;
  /** Directory for volumes, pod scratch space and logs. Default: a new temporary directory. */
  rootDir?: string;
  /** Keep `rootDir` after `stop()` (it is removed by default). */
  keepRootDir?: boolean;
  /** Where pod DNS names are published. Default /etc/hosts (needs root). */
  hostsFile?: string;
  /** Images the kubelet can run. Default: every etcd image runs etcd 3.5 (ETCD_BIN_35). */
  images?: ImageConfig[];
  /** Default: the kubelet's 10 s doubling up to 5 minutes. */
  crashLoopBackoff?: CrashLoopBackoff;
  /** Node status heartbeat interval. Default 10 s (the kubelet's nodeStatusUpdateFrequency). */
  heartbeatMs?: number;
  /**
   * The control plane's `kubeletCA`. With it the kubelet serves `pods/portforward` (see
   * streaming.ts) and registers its port in the Node; without it there is no port-forward.
   */
  kubeletCA?: TestCA;
}

export interface Kubelet {
  nodeName: string;
  rootDir: string;
  /** The IP of a pod running on this node. */
  podIP(namespace: string, pod: string): string | undefined;
  /** The directory backing a bound PersistentVolumeClaim. */
  volumeDirectory(namespace: string, claim: string): string | undefined;
  /** The log file of a container's current (or last) run. */
  logFile(namespace: string, pod: string, container: string): string | undefined;
  /** The pids of a pod's container processes that run now, by container name. */
  containerPids(namespace: string, pod: string): Record<string, number>;
  /**
   * Fault injection: SIGSTOP to every running container process of the pod. The processes stop
   * answering while Kubernetes sees nothing but what the probes report (a failed liveness probe
   * still restarts the container, unfrozen). Deleting the pod or stopping the kubelet continues
   * them before SIGTERM, so they shut down as usual. Returns the pids; throws for a pod that does
   * not run on this node.
   */
  pause(namespace: string, pod: string): number[];
  /** SIGCONT to every running container process of the pod; returns the pids. */
  resume(namespace: string, pod: string): number[];
  /**
   * The port-forward server (kubelet-streaming), when `kubeletCA` was given: its port, its pid
   * (kill it to break every forward in flight; the kubelet starts it again) and how many times it
   * was restarted.
   */
  streaming: StreamingServer | undefined;
  /**
   * Kills every process (SIGTERM, SIGKILL after at most 10 s), restores the hosts file and removes
   * `rootDir`. The API objects stay as they are, as when a real kubelet stops.
   */
  stop(): Promise<void>;
}

export async function startKubelet(options: KubeletOptions): Promise<Kubelet> {
  const config = new k8s.KubeConfig();
  config.loadFromString(options.kubeconfig);
  const core = config.makeApiClient(k8s.CoreV1Api);
  const storage = config.makeApiClient(k8s.StorageV1Api);
  const nodeName = options.nodeName ?? "process-kubelet";
  const nodeIP = options.nodeIP ?? "127.1.0.1";
  const clusterDomain = options.clusterDomain ?? "cluster.local";
  const range = options.podIPRange ?? { first: "127.1.1.1", last: "127.1.255.254" };
  const ips = new IPPool(range.first, range.last);
  const images = options.images ?? [officialEtcdImage(etcd35Binary())];
  const rootDir = options.rootDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "etcd-k8s-kubelet-"));
  // Processes may run as a non-root user: they must be able to reach their volumes.
  fs.chmodSync(rootDir, 0o755);
  const volumesDir = path.join(rootDir, "volumes");
  fs.mkdirSync(volumesDir, { recursive: true, mode: 0o755 });

  const hosts = new HostsFile(options.hostsFile ?? "/etc/hosts", nodeName);
  const restoreHostsOnExit = () => hosts.restoreNow();
  process.on("exit", restoreHostsOnExit);

  const workers = new Map<string, PodWorker>();
  let running = false;
  let pending: NodeJS.Immediate | undefined;
  let reconciling = Promise.resolve();
  // Changes arriving together trigger one pass; passes never overlap.
  const kick = () => {
    if (!running) return;
    pending ??= setImmediate(() => {
      pending = undefined;
      reconciling = reconciling.then(reconcile).catch((error: unknown) => {
        console.error(`process-kubelet: reconcile: ${(error as Error).stack}`);
      });
    });
  };

  const watch = <T extends k8s.KubernetesObject>(
    resource: string,
    list: () => Promise<k8s.KubernetesListObject<T>>,
  ) => new WatchCache<T>(config, resource, list, kick);
  const caches = {
    pods: watch("/api/v1/pods", () => core.listPodForAllNamespaces()),
    configMaps: watch("/api/v1/configmaps", () => core.listConfigMapForAllNamespaces()),
    secrets: watch("/api/v1/secrets", () => core.listSecretForAllNamespaces()),
    services: watch("/api/v1/services", () => core.listServiceForAllNamespaces()),
    claims: watch("/api/v1/persistentvolumeclaims", () =>
      core.listPersistentVolumeClaimForAllNamespaces(),
    ),
    volumes: watch("/api/v1/persistentvolumes", () => core.listPersistentVolume()),
    classes: watch("/apis/storage.k8s.io/v1/storageclasses", () => storage.listStorageClass()),
  };
  const provisioner = new VolumeProvisioner(core, storage, nodeName, volumesDir, caches);

  const workerDeps = (pod: k8s.V1Pod) => ({
    core,
    hostIP: nodeIP,
    podDir: path.join(
      rootDir,
      "pods",
      `${pod.metadata?.namespace}_${pod.metadata?.name}_${pod.metadata?.uid}`,
    ),
    allocateIP: () => ips.allocate(),
    releaseIP: (ip: string) => ips.release(ip),
    ownHostsEntryWritten: (pod: k8s.V1Pod, ip: string) => ownEntryIn(writtenHosts, pod, ip),
    images,
    config: {
      configMap: (ns: string, name: string) => caches.configMaps.get(ns, name),
      secret: (ns: string, name: string) => caches.secrets.get(ns, name),
    },
    services: () => caches.services.list(),
    claimDirectory: (ns: string, claim: string) => provisioner.claimDirectory(ns, claim),
    backoff: options.crashLoopBackoff ?? KUBELET_CRASH_LOOP_BACKOFF,
    retryMs: 2_000,
  });

  let scheduler: PodScheduler;
  let registration: NodeRegistration | undefined;
  let streaming: StreamingServer | undefined;
  let lastHosts = "";
  /** The lines last written to the hosts block, one `<ip> <name>` per name. */
  let writtenHosts = new Set<string>();
  const hostsLines = (entries: HostsEntry[]) =>
    new Set(entries.flatMap((e) => e.names.map((name) => `${e.ip} ${name}`)));
  /** Whether `lines` give the pod at `ip` its own name (true when it needs none). */
  const ownEntryIn = (lines: Set<string>, pod: k8s.V1Pod, ip: string): boolean =>
    podOwnHostsEntry(pod, ip, clusterDomain)?.names.every((n) => lines.has(`${ip} ${n}`)) ?? true;
  async function reconcile(): Promise<void> {
    if (!running) return;
    provisioner.reconcile();
    const pods = caches.pods.list();
    const live = new Set<string>();
    for (const pod of pods) {
      const uid = pod.metadata?.uid ?? "";
      if (!pod.spec?.nodeName) {
        scheduler.consider(pod);
      } else if (pod.spec.nodeName === nodeName) {
        live.add(uid);
        let worker = workers.get(uid);
        if (worker === undefined) {
          worker = new PodWorker(pod, workerDeps(pod));
          workers.set(uid, worker);
        }
        worker.update(pod);
      }
    }
    for (const [uid, worker] of workers) {
      if (live.has(uid)) continue;
      // Deleted from the API without waiting for us (e.g. grace period 0): stop the processes.
      workers.delete(uid);
      void worker.terminate(0, true);
    }
    const served = headlessServiceRecords(caches.services.list(), pods, nodeName, clusterDomain);
    const servedNames = new Set(served.flatMap((e) => e.names));
    const own = [...workers.values()].flatMap((w) => {
      const entry =
        w.podIP === undefined ? undefined : podOwnHostsEntry(w.current, w.podIP, clusterDomain);
      return entry === undefined || entry.names.every((n) => servedNames.has(n)) ? [] : [entry];
    });
    const entries = [...served, ...own];
    const text = JSON.stringify(entries);
    if (text !== lastHosts) {
      lastHosts = text;
      await hosts.write(entries);
      const before = writtenHosts;
      writtenHosts = hostsLines(entries);
      // Containers held back for their pod's own entry may start now.
      for (const worker of workers.values()) {
        const ip = worker.podIP;
        if (ip === undefined || ownEntryIn(before, worker.current, ip)) continue;
        if (ownEntryIn(writtenHosts, worker.current, ip)) worker.sync();
      }
    }
  }

  const started: WatchCache<k8s.KubernetesObject>[] = [];
  const stop = async () => {
    running = false;
    if (pending !== undefined) clearImmediate(pending);
    registration?.stop();
    await streaming?.stop();
    await Promise.all(started.map((c) => c.stop()));
    await reconciling;
    await Promise.all([...workers.values()].map((w) => w.terminate(10_000, false)));
    await hosts.restore();
    process.removeListener("exit", restoreHostsOnExit);
    if (!options.keepRootDir) fs.rmSync(rootDir, { recursive: true, force: true });
  };

  try {
    for (const cache of Object.values(caches) as WatchCache<k8s.KubernetesObject>[]) {
      await cache.start();
      started.push(cache);
    }
    await provisioner.ensureStorageClass();
    const version = (await config.makeApiClient(k8s.VersionApi).getCode()).gitVersion;
    if (options.kubeletCA !== undefined) {
      streaming = await StreamingServer.start({
        binary: kubeBinaries().kubeletStreaming,
        nodeName,
        nodeIP,
        kubeconfig: options.kubeconfig,
        ca: options.kubeletCA,
        dir: path.join(rootDir, "streaming"),
      });
    }
    registration = new NodeRegistration(
      core,
      nodeName,
      nodeIP,
      version,
      options.heartbeatMs ?? 10_000,
      streaming?.port,
    );
    const node = await registration.register();
    scheduler = new PodScheduler(core, node, caches.pods, (ns, name) =>
      caches.claims.get(ns, name),
    );
    running = true;
    kick();
  } catch (error) {
    await stop();
    throw error;
  }

  const workerOf = (ns: string, name: string) => {
    const uid = caches.pods.get(ns, name)?.metadata?.uid;
    return uid !== undefined ? workers.get(uid) : undefined;
  };
  const jobControl = (ns: string, name: string, signal: "SIGSTOP" | "SIGCONT") => {
    const worker = workerOf(ns, name);
    if (worker === undefined) throw new Error(`pod ${ns}/${name} does not run on ${nodeName}`);
    return worker.jobControl(signal);
  };

  return {
    nodeName,
    rootDir,
    podIP: (ns, name) => workerOf(ns, name)?.podIP,
    volumeDirectory: (ns, claim) => provisioner.claimDirectory(ns, claim),
    logFile: (ns, name, container) => workerOf(ns, name)?.logFile(container),
    containerPids: (ns, name) => workerOf(ns, name)?.containerPids() ?? {},
    pause: (ns, name) => jobControl(ns, name, "SIGSTOP"),
    resume: (ns, name) => jobControl(ns, name, "SIGCONT"),
    streaming,
    stop,
  };
}
