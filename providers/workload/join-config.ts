/**
 * The join ConfigMap `<name>-join`: the ETCD_INITIAL_CLUSTER* settings a joining member reads at
 * start (invariant 3). Only the membership provider writes it; the pods read it as environment.
 */
import type { V1ConfigMap } from "@kubernetes/client-node";
import { joinConfigMapName, type ClusterIdentity } from "../../components/naming";
import type { JoinConfig } from "../membership/types";
import { callKube, callKubeOrAbsent, isConflict, isNotFound } from "./kube-call";
import type { KubeContext } from "./kubeconfig";

export const INITIAL_CLUSTER_KEY = "ETCD_INITIAL_CLUSTER";
export const INITIAL_CLUSTER_STATE_KEY = "ETCD_INITIAL_CLUSTER_STATE";
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "etcd-k8s-membership-provider";
export const INSTANCE_LABEL = "app.kubernetes.io/instance";

export function joinConfigMap(identity: ClusterIdentity, config: JoinConfig): V1ConfigMap {
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: joinConfigMapName(identity),
      namespace: identity.namespace,
      labels: { [MANAGED_BY_LABEL]: MANAGED_BY, [INSTANCE_LABEL]: identity.name },
    },
    data: {
      [INITIAL_CLUSTER_KEY]: config.initialCluster,
      [INITIAL_CLUSTER_STATE_KEY]: config.state,
    },
  };
}

/** Reads the settings back; a ConfigMap edited into something etcd would not accept is refused. */
export function joinConfigOf(identity: ClusterIdentity, configMap: V1ConfigMap): JoinConfig {
  const where = `ConfigMap ${identity.namespace}/${joinConfigMapName(identity)}`;
  const initialCluster = configMap.data?.[INITIAL_CLUSTER_KEY];
  const state = configMap.data?.[INITIAL_CLUSTER_STATE_KEY];
  if (typeof initialCluster !== "string" || initialCluster === "") {
    throw new Error(`${where}: key ${INITIAL_CLUSTER_KEY} is missing or empty`);
  }
  if (state !== "new" && state !== "existing") {
    throw new Error(
      `${where}: key ${INITIAL_CLUSTER_STATE_KEY} is ${JSON.stringify(state)}; it must be "new" or "existing"`,
    );
  }
  return { initialCluster, state };
}

const describeJoinConfigMap = (ctx: KubeContext): string =>
  `ConfigMap ${ctx.identity.namespace}/${joinConfigMapName(ctx.identity)}`;

export async function readJoinConfig(ctx: KubeContext): Promise<JoinConfig | undefined> {
  const configMap = await callKubeOrAbsent(`read ${describeJoinConfigMap(ctx)}`, ctx.server, (o) =>
    ctx.core.readNamespacedConfigMap(
      { name: joinConfigMapName(ctx.identity), namespace: ctx.identity.namespace },
      o,
    ),
  );
  return configMap ? joinConfigOf(ctx.identity, configMap) : undefined;
}

/** Creates the ConfigMap, or replaces it when it exists: the provider is its only writer. */
export async function writeJoinConfig(ctx: KubeContext, config: JoinConfig): Promise<void> {
  const body = joinConfigMap(ctx.identity, config);
  const { namespace } = ctx.identity;
  try {
    await callKube(`create ${describeJoinConfigMap(ctx)}`, ctx.server, (o) =>
      ctx.core.createNamespacedConfigMap({ namespace, body }, o),
    );
    return;
  } catch (error) {
    if (!isConflict(error)) throw error;
  }
  await callKube(`replace ${describeJoinConfigMap(ctx)}`, ctx.server, (o) =>
    ctx.core.replaceNamespacedConfigMap(
      { name: joinConfigMapName(ctx.identity), namespace, body },
      o,
    ),
  );
}

export async function removeJoinConfig(ctx: KubeContext): Promise<void> {
  try {
    await callKube(`delete ${describeJoinConfigMap(ctx)}`, ctx.server, (o) =>
      ctx.core.deleteNamespacedConfigMap(
        { name: joinConfigMapName(ctx.identity), namespace: ctx.identity.namespace },
        o,
      ),
    );
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}
