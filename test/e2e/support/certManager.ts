/**
 * cert-manager on the local control plane: its CRDs (cert-manager.io group, from its Go module)
 * applied and established, then its controller (toolchain/cert-manager-controller, built by
 * scripts/build-cert-manager.sh) run as a process against the control plane's kubeconfig. The CRDs
 * go first: a controller started before them waits about 20 s in its informers' back-off before it
 * sees any Certificate. No webhook runs, so nothing defaults or validates the objects on admission
 * (the controllers still refuse invalid ones), and durations under an hour are accepted.
 */
import * as k8s from "@kubernetes/client-node";
import { loadAll } from "js-yaml";
import * as fs from "node:fs";
import { serverSideApply } from "./apply";
import { until } from "./poll";
import { type ExitInfo, ManagedProcess, logTail } from "./processes";
import { certManagerControllerBinary, certManagerCrdFiles } from "./repo";

/**
 * What an Issuer of kind CA and the Certificates need: issuing, renewal, approval of
 * CertificateRequests (no approver-policy runs), the CA signer and the Issuer's readiness.
 */
export const CERT_MANAGER_CONTROLLERS = [
  "certificates-trigger",
  "certificates-issuing",
  "certificates-key-manager",
  "certificates-request-manager",
  "certificates-readiness",
  "certificates-revision-manager",
  "certificaterequests-approver",
  "certificaterequests-issuer-ca",
  "issuers",
];

/** Applies cert-manager's CRDs and waits until the API server serves them. */
export async function installCertManagerCrds(kubeConfig: k8s.KubeConfig): Promise<void> {
  const crds = certManagerCrdFiles().flatMap(
    (file) => loadAll(fs.readFileSync(file, "utf8")) as k8s.KubernetesObject[],
  );
  await serverSideApply(kubeConfig, crds);
  const names = new Set(crds.map((crd) => crd.metadata?.name));
  const extensions = kubeConfig.makeApiClient(k8s.ApiextensionsV1Api);
  await until(
    "cert-manager's CRDs to be established",
    async () => {
      const list = await extensions.listCustomResourceDefinition();
      const established = list.items.filter(
        (crd) =>
          names.has(crd.metadata?.name) &&
          crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True"),
      );
      return established.length >= names.size ? true : undefined;
    },
    { timeoutMs: 60_000, maxIntervalMs: 500 },
  );
}

export interface CertManager {
  process: ManagedProcess;
  logFile: string;
  /** SIGTERM (it shuts its work queues down in about a second), SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/**
 * Installs the CRDs, then starts the controller. Fails at once, naming the setup script, when the
 * binary is missing; fails with its log when it exits before its controllers have started.
 */
export async function startCertManager(options: {
  kubeConfig: k8s.KubeConfig;
  kubeconfigPath: string;
  logFile: string;
}): Promise<CertManager> {
  const binary = certManagerControllerBinary();
  await installCertManagerCrds(options.kubeConfig);
  const process = ManagedProcess.start({
    name: "cert-manager-controller",
    command: binary,
    args: [
      `--kubeconfig=${options.kubeconfigPath}`,
      // ClusterIssuers' Secrets would live here; the scenarios use namespaced Issuers.
      "--cluster-resource-namespace=kube-system",
      `--controllers=${CERT_MANAGER_CONTROLLERS.join(",")}`,
      "--v=2",
    ],
    env: {},
    logFile: options.logFile,
  });
  // Started once every controller has logged its start (klog quotes each name); a controller
  // that exits first is reported with its log instead of a timeout.
  let exited: ExitInfo | undefined;
  void process.exited.then((info) => (exited = info));
  const started = (): boolean => {
    const lines = fs.existsSync(options.logFile)
      ? fs
          .readFileSync(options.logFile, "utf8")
          .split("\n")
          .filter((line) => line.includes("starting controller"))
      : [];
    return CERT_MANAGER_CONTROLLERS.every((c) => lines.some((line) => line.includes(`"${c}"`)));
  };
  const outcome = await until(
    "cert-manager-controller to start its controllers",
    () => exited ?? (started() ? "started" : undefined),
    { timeoutMs: 60_000 },
  );
  if (outcome !== "started")
    throw new Error(
      `cert-manager-controller stopped at once (${ManagedProcess.describe(outcome)}):\n${logTail(options.logFile)}`,
    );
  return {
    process,
    logFile: options.logFile,
    stop: async () => {
      await process.stop(10_000);
    },
  };
}
