/**
 * A real Kubernetes control plane on loopback for the end-to-end tests: etcd 3.5, kube-apiserver
 * and kube-controller-manager (built by scripts/build-kube.sh), on free ports of one loopback
 * address, in a temporary directory, with a generated kubeconfig. No scheduler and no kubelet: the
 * process kubelet (./kubelet) binds and runs the pods.
 *
 * Every process started here is stopped by `stop()`, also when starting fails half way, and is
 * killed if Node exits first.
 */
import * as k8s from "@kubernetes/client-node";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type TestCA, createTestCA } from "../support/certificates";
import { insecureGet } from "./support/https";
import { kubeconfigText, newToken, serviceAccountKeys, tokenAuthFile } from "./support/kubeconfig";
import { until } from "./support/poll";
import { freePort } from "./support/ports";
import { ManagedProcess, logTail } from "./support/processes";
import { etcd35Binary, kubeBinaries } from "./support/repo";

/**
 * The controllers the tests rely on. The persistent-volume binder and protection controllers make
 * claims bind to the volumes the process kubelet provisions (it acts as the external provisioner
 * of the default StorageClass) and let released volumes go, as on a real cluster. Left out on
 * purpose: node-lifecycle and pod-GC (they would evict or collect pods of a node without a real
 * kubelet) and the service-account controllers (the ServiceAccount admission plugin is off).
 * The disruption controller keeps PodDisruptionBudget status, which the Eviction API obeys.
 */
export const CONTROLLERS = [
  "statefulset-controller",
  "disruption-controller",
  "garbage-collector-controller",
  "persistentvolumeclaim-protection-controller",
  "persistentvolume-binder-controller",
  "persistentvolume-protection-controller",
  "endpoints-controller",
  "endpointslice-controller",
  "namespace-controller",
];

export interface ControlPlaneOptions {
  /** Loopback address every component binds to. Default 127.1.0.1. */
  host?: string;
  /** Bound on the whole start, in milliseconds. Default 180 s (a shared 2-core machine is slow). */
  startTimeoutMs?: number;
  /** Keep the temporary directory (logs, etcd data, certificates) after `stop()`. */
  keepWorkDir?: boolean;
}

export interface ControlPlane {
  /** `https://<host>:<port>` of kube-apiserver. */
  server: string;
  /** Kubeconfig text for an admin (system:masters) token user; TLS verification is skipped. */
  kubeconfig: string;
  /** The same kubeconfig, written to a file (for KUBECONFIG or kubectl). */
  kubeconfigPath: string;
  /** The admin bearer token. */
  token: string;
  /** The Kubernetes version the API server reports, e.g. `v1.32.5`. */
  version: string;
  /** Temporary directory with `logs/`, the etcd data, certificates and keys. */
  workDir: string;
  /**
   * The CA of the kubelets' API (port-forward): kube-apiserver verifies a kubelet's serving
   * certificate with it (`--kubelet-certificate-authority`, against the Node's InternalIP) and
   * presents a client certificate it signed (`--kubelet-client-certificate`). A kubelet has it
   * issue its serving certificate and requires client certificates signed by it.
   */
  kubeletCA: TestCA;
  /** Stops kube-controller-manager, kube-apiserver and etcd (each SIGTERM, then SIGKILL). */
  stop(): Promise<void>;
}

/** Waits for `ready`, failing at once (with its log) if one of `processes` exits meanwhile. */
async function whileRunning<T>(processes: ManagedProcess[], ready: Promise<T>): Promise<T> {
  const exits = processes.map((p) =>
    p.exited.then((info) => {
      throw new Error(
        `${p.spec.name} stopped during control-plane start (${ManagedProcess.describe(info)}); last log lines of ${p.spec.logFile}:\n${logTail(p.spec.logFile)}`,
      );
    }),
  );
  return Promise.race([ready, ...exits]);
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const host = options.host ?? "127.1.0.1";
  const timeoutMs = options.startTimeoutMs ?? 180_000;
  const binaries = kubeBinaries();
  const etcdBinary = etcd35Binary();

  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "etcd-k8s-control-plane-"));
  const logs = path.join(workDir, "logs");
  fs.mkdirSync(logs);
  const started: ManagedProcess[] = [];
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin" };
  const run = (name: string, command: string, args: string[]) => {
    const child = ManagedProcess.start({
      name,
      command,
      args,
      env,
      cwd: workDir,
      logFile: path.join(logs, `${name}.log`),
    });
    started.push(child);
    return child;
  };
  const stop = async () => {
    for (const child of [...started].reverse()) await child.stop(10_000);
    if (!options.keepWorkDir) fs.rmSync(workDir, { recursive: true, force: true });
  };

  try {
    const [etcdClientPort, etcdPeerPort, apiPort] = [
      await freePort(host),
      await freePort(host),
      await freePort(host),
    ];
    const etcdClientURL = `http://${host}:${etcdClientPort}`;
    const etcdPeerURL = `http://${host}:${etcdPeerPort}`;
    const etcd = run("etcd", etcdBinary, [
      "--name=control-plane",
      `--data-dir=${path.join(workDir, "etcd")}`,
      `--listen-client-urls=${etcdClientURL}`,
      `--advertise-client-urls=${etcdClientURL}`,
      `--listen-peer-urls=${etcdPeerURL}`,
      `--initial-advertise-peer-urls=${etcdPeerURL}`,
      `--initial-cluster=control-plane=${etcdPeerURL}`,
      // Test data only: no fsync keeps a shared machine's disk out of the way.
      "--unsafe-no-fsync",
      // What kubeadm sets: lets the API server's watch cache serve consistent reads.
      "--experimental-watch-progress-notify-interval=5s",
    ]);

    const token = newToken();
    const keys = serviceAccountKeys();
    const tokensFile = path.join(workDir, "tokens.csv");
    const saKey = path.join(workDir, "sa.key");
    const saPub = path.join(workDir, "sa.pub");
    fs.writeFileSync(tokensFile, tokenAuthFile(token), { mode: 0o600 });
    fs.writeFileSync(saKey, keys.privateKeyPem, { mode: 0o600 });
    fs.writeFileSync(saPub, keys.publicKeyPem);
    const server = `https://${host}:${apiPort}`;
    const kubeletCA = await createTestCA("etcd-k8s-e2e-kubelet-ca");
    const kubeletClient = await kubeletCA.issue({
      commonName: "kube-apiserver-kubelet-client",
      usages: ["client"],
    });
    const pki = path.join(workDir, "kubelet-pki");
    fs.mkdirSync(pki, { mode: 0o700 });
    const kubeletFiles = {
      ca: path.join(pki, "ca.crt"),
      cert: path.join(pki, "apiserver-kubelet-client.crt"),
      key: path.join(pki, "apiserver-kubelet-client.key"),
    };
    fs.writeFileSync(kubeletFiles.ca, kubeletCA.cert);
    fs.writeFileSync(kubeletFiles.cert, kubeletClient.cert);
    fs.writeFileSync(kubeletFiles.key, kubeletClient.key, { mode: 0o600 });
    const apiserver = run("kube-apiserver", binaries.apiserver, [
      `--etcd-servers=${etcdClientURL}`,
      `--bind-address=${host}`,
      `--advertise-address=${host}`,
      `--secure-port=${apiPort}`,
      `--cert-dir=${path.join(workDir, "pki")}`,
      `--token-auth-file=${tokensFile}`,
      "--authorization-mode=RBAC",
      `--service-account-issuer=${server}`,
      `--service-account-key-file=${saPub}`,
      `--service-account-signing-key-file=${saKey}`,
      "--service-cluster-ip-range=10.0.0.0/24",
      // Pods run without service-account tokens: nothing in them talks to the API.
      "--disable-admission-plugins=ServiceAccount",
      "--allow-privileged=true",
      "--profiling=false",
      // Endpoints may not hold loopback addresses, so the `kubernetes` Service cannot list this
      // API server; without this its reconciler would retry (and log) forever.
      "--endpoint-reconciler-type=none",
      // pods/portforward goes to the node's kubelet API (the process kubelet's kubelet-streaming).
      // The default order puts Hostname first, and v1.32 resolves that name through DNS; the
      // Node's InternalIP is the loopback address the kubelet serves on.
      "--kubelet-preferred-address-types=InternalIP",
      `--kubelet-certificate-authority=${kubeletFiles.ca}`,
      `--kubelet-client-certificate=${kubeletFiles.cert}`,
      `--kubelet-client-key=${kubeletFiles.key}`,
    ]);

    const kubeconfig = kubeconfigText(server, token);
    const kubeconfigPath = path.join(workDir, "kubeconfig");
    fs.writeFileSync(kubeconfigPath, kubeconfig, { mode: 0o600 });

    const version = await whileRunning(
      [etcd, apiserver],
      until(
        `kube-apiserver ${server}/readyz`,
        async () => {
          const ready = await insecureGet(`${server}/readyz`, token);
          if (ready.status !== 200) throw new Error(`/readyz ${ready.status}: ${ready.body}`);
          const info = await insecureGet(`${server}/version`, token);
          return (JSON.parse(info.body) as { gitVersion: string }).gitVersion;
        },
        { timeoutMs, maxIntervalMs: 2_000 },
      ),
    );

    run("kube-controller-manager", binaries.controllerManager, [
      `--kubeconfig=${kubeconfigPath}`,
      "--leader-elect=false",
      // No serving port at all: nothing needs the controller manager's own endpoints.
      "--secure-port=0",
      "--use-service-account-credentials=false",
      `--controllers=${CONTROLLERS.join(",")}`,
    ]);
    await whileRunning(started, controllersWork(kubeconfig, timeoutMs));

    return { server, kubeconfig, kubeconfigPath, token, version, workDir, kubeletCA, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Proof that the controller manager runs its controllers (it serves no health port): a namespace
 * created and deleted here disappears only once the namespace controller has finalized it. Also
 * waits for the `default` namespace, which the API server creates shortly after it is ready.
 */
async function controllersWork(kubeconfig: string, timeoutMs: number): Promise<void> {
  const config = new k8s.KubeConfig();
  config.loadFromString(kubeconfig);
  const core = config.makeApiClient(k8s.CoreV1Api);
  await until("the default namespace", () => core.readNamespace({ name: "default" }), {
    timeoutMs,
  });
  const name = `control-plane-probe-${process.pid}`;
  await core.createNamespace({ body: { metadata: { name } } });
  await core.deleteNamespace({ name });
  await until(
    `kube-controller-manager to finalize namespace ${name}`,
    async () => {
      try {
        await core.readNamespace({ name });
        return undefined;
      } catch (error) {
        if ((error as { code?: number }).code === 404) return true;
        throw error;
      }
    },
    { timeoutMs, maxIntervalMs: 1_000 },
  );
}
