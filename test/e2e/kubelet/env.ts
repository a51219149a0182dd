/**
 * A container's environment, resolved the way the kubelet does (makeEnvironmentVariables in
 * pkg/kubelet/kubelet_pods.go): `envFrom` first, then `env` in order (later entries win), each
 * value with `$(VAR)` expanded against the variables defined so far and the service links, then
 * the service links that nothing overrode. A source that cannot be resolved is a
 * ContainerConfigError, which the kubelet reports as `CreateContainerConfigError` and retries.
 */
import type {
  V1ConfigMap,
  V1Container,
  V1ObjectFieldSelector,
  V1Pod,
  V1Secret,
} from "@kubernetes/client-node";
import { expand, mappingFor } from "./expansion";

export class ContainerConfigError extends Error {
  readonly reason = "CreateContainerConfigError";
}

/** Read access to the ConfigMaps and Secrets the kubelet can see (undefined: not found). */
export interface ConfigSources {
  configMap(namespace: string, name: string): V1ConfigMap | undefined;
  secret(namespace: string, name: string): V1Secret | undefined;
}

export interface PodAddresses {
  podIP: string;
  hostIP: string;
}

/** An environment variable name as Kubernetes validates it (IsEnvVarName). */
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

function selectedLabel(path: string, prefix: string): string | undefined {
  const match = new RegExp(`^${prefix}\\['(.+)'\\]$`).exec(path);
  return match?.[1];
}

/**
 * The downward API for env (podFieldSelectorRuntimeValue, fieldpath.ExtractFieldPathAsString): the
 * field paths the API server accepts in an env fieldRef.
 */
export function fieldValue(
  pod: V1Pod,
  ref: V1ObjectFieldSelector,
  addresses: PodAddresses,
): string {
  const meta = pod.metadata ?? {};
  const path = ref.fieldPath;
  switch (path) {
    case "metadata.name":
      return meta.name ?? "";
    case "metadata.namespace":
      return meta.namespace ?? "";
    case "metadata.uid":
      return meta.uid ?? "";
    case "spec.nodeName":
      return pod.spec?.nodeName ?? "";
    case "spec.serviceAccountName":
      return pod.spec?.serviceAccountName ?? "";
    case "status.podIP":
    case "status.podIPs":
      return addresses.podIP;
    case "status.hostIP":
    case "status.hostIPs":
      return addresses.hostIP;
  }
  const label = selectedLabel(path, "metadata\\.labels");
  if (label !== undefined) return meta.labels?.[label] ?? "";
  const annotation = selectedLabel(path, "metadata\\.annotations");
  if (annotation !== undefined) return meta.annotations?.[annotation] ?? "";
  throw new ContainerConfigError(`unsupported fieldPath: ${path}`);
}

const decode = (data: Record<string, string> | undefined): Record<string, string> =>
  Object.fromEntries(
    Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]),
  );

export function resolveEnvironment(
  pod: V1Pod,
  container: V1Container,
  sources: ConfigSources,
  serviceEnv: ReadonlyMap<string, string>,
  addresses: PodAddresses,
): Map<string, string> {
  const namespace = pod.metadata?.namespace ?? "default";
  const env = new Map<string, string>();

  const configMapData = (name = ""): Record<string, string> | undefined => {
    const configMap = sources.configMap(namespace, name);
    return configMap === undefined ? undefined : (configMap.data ?? {});
  };
  const secretData = (name = ""): Record<string, string> | undefined => {
    const secret = sources.secret(namespace, name);
    return secret === undefined ? undefined : decode(secret.data);
  };

  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (ref === undefined) continue;
    const kind = from.configMapRef ? "configmap" : "secret";
    const data = from.configMapRef ? configMapData(ref.name) : secretData(ref.name);
    if (data === undefined) {
      if (ref.optional) continue;
      throw new ContainerConfigError(`${kind} "${ref.name}" not found`);
    }
    for (const [key, value] of Object.entries(data)) {
      const name = (from.prefix ?? "") + key;
      // The kubelet skips invalid names (with a warning event) rather than failing the container.
      if (ENV_NAME.test(name)) env.set(name, value);
    }
  }

  const mapping = mappingFor(env, serviceEnv);
  for (const variable of container.env ?? []) {
    const source = variable.valueFrom;
    if (variable.value !== undefined && variable.value !== "") {
      env.set(variable.name, expand(variable.value, mapping));
    } else if (source?.fieldRef !== undefined) {
      env.set(variable.name, fieldValue(pod, source.fieldRef, addresses));
    } else if (source?.configMapKeyRef !== undefined || source?.secretKeyRef !== undefined) {
      const ref = (source.configMapKeyRef ?? source.secretKeyRef)!;
      const isConfigMap = source.configMapKeyRef !== undefined;
      const data = isConfigMap ? configMapData(ref.name) : secretData(ref.name);
      if (data === undefined) {
        if (ref.optional) continue;
        throw new ContainerConfigError(
          `${isConfigMap ? "configmap" : "secret"} "${ref.name}" not found`,
        );
      }
      const value = data[ref.key];
      if (value === undefined) {
        if (ref.optional) continue;
        const kind = isConfigMap ? "ConfigMap" : "Secret";
        throw new ContainerConfigError(
          `couldn't find key ${ref.key} in ${kind} ${namespace}/${ref.name}`,
        );
      }
      env.set(variable.name, value);
    } else if (source?.resourceFieldRef !== undefined) {
      throw new ContainerConfigError(
        `env ${variable.name}: resourceFieldRef is not supported by the process kubelet`,
      );
    } else {
      env.set(variable.name, "");
    }
  }

  for (const [name, value] of serviceEnv) if (!env.has(name)) env.set(name, value);
  return env;
}
