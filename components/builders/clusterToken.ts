import { createHash } from "node:crypto";

export interface TokenScope {
  project: string;
  stack: string;
  namespace: string;
  clusterName: string;
}

/**
 * etcd refuses peers that bootstrapped with another token, so two clusters that share a name (in
 * other stacks or namespaces) can never join each other by mistake. Deterministic, so the pod
 * template does not change between runs; etcd reads it only when it bootstraps a new cluster.
 */
export function initialClusterToken(scope: TokenScope): string {
  const digest = createHash("sha256")
    .update(JSON.stringify([scope.project, scope.stack, scope.namespace, scope.clusterName]))
    .digest("hex")
    .slice(0, 16);
  return `${scope.clusterName}-${digest}`;
}
