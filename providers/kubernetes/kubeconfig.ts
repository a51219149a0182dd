/**
 * Where the provider's Kubernetes clients come from: the `kubeconfig` input when given, otherwise
 * the standard lookup (KUBECONFIG, ~/.kube/config, then the in-cluster service account).
 */
import type { AppsV1Api, CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import type { ClusterIdentity } from "../../model/naming";
import { clientNode } from "./modules";

/** Everything a workload operation needs: the clients, the API server address, and what to find. */
export interface KubeContext {
  kubeConfig: KubeConfig;
  core: CoreV1Api;
  apps: AppsV1Api;
  /** API server URL, for messages about an unreachable API. */
  server: string;
  identity: ClusterIdentity;
}

export function loadKubeConfig(content?: string): KubeConfig {
  const k8s = clientNode();
  const kubeConfig = new k8s.KubeConfig();
  const source = content === undefined ? "the default kubeconfig" : "the kubeconfig input";
  try {
    if (content === undefined) kubeConfig.loadFromDefault();
    else kubeConfig.loadFromString(content);
  } catch (error) {
    throw new Error(`kubeconfig: cannot load ${source}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!kubeConfig.getCurrentCluster()) {
    const context = kubeConfig.getCurrentContext();
    throw new Error(
      `kubeconfig: ${source} has no cluster for its current context ${JSON.stringify(context)}; set current-context to a context whose cluster is defined`,
    );
  }
  return kubeConfig;
}

export function connectKube(identity: ClusterIdentity, kubeconfig?: string): KubeContext {
  const k8s = clientNode();
  const kubeConfig = loadKubeConfig(kubeconfig);
  return {
    kubeConfig,
    core: kubeConfig.makeApiClient(k8s.CoreV1Api),
    apps: kubeConfig.makeApiClient(k8s.AppsV1Api),
    server: kubeConfig.getCurrentCluster()?.server ?? "(no server)",
    identity,
  };
}
