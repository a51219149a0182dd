/**
 * The etcd container. It is configured entirely through `ETCD_*` environment variables, which etcd
 * reads natively: the official images (3.5+) are distroless, so there is no shell to run a script.
 */
import type * as k8s from "@pulumi/kubernetes";
import type * as kx from "@pulumi/kubernetesx";
import { type ClusterSettings, clusterIdentity } from "../../model/config/settings";
import {
  CLIENT_PORT,
  DATA_DIR,
  DATA_MOUNT_PATH,
  DATA_VOLUME,
  METRICS_PORT,
  PEER_PORT,
  joinConfigMapName,
  podHost,
  urlScheme,
} from "../../model/naming";
import { tlsEnvironment, tlsVolumeMounts } from "./tls";

export const CONTAINER_NAME = "etcd";
/** Kubernetes expands `$(NAME)` in env values from variables defined earlier in the list. */
export const POD_NAME_REF = "$(POD_NAME)";

/**
 * Order matters: `POD_NAME` comes first so the URLs after it can expand it. Each pod thereby
 * advertises `http(s)://<pod>.<peer service>.<namespace>.svc.<domain>`, exactly the peer URL the
 * membership provider computes with `naming.peerURL` and matches members by. With TLS the client
 * and peer listeners are https; the metrics listener (probes) stays http either way.
 */
export function etcdEnvironment(settings: ClusterSettings): kx.types.EnvMap {
  const identity = clusterIdentity(settings);
  const host = podHost(identity, POD_NAME_REF);
  const scheme = urlScheme(identity);
  return {
    POD_NAME: { fieldRef: { fieldPath: "metadata.name" } },
    ETCD_NAME: POD_NAME_REF,
    ETCD_DATA_DIR: DATA_DIR,
    ETCD_LISTEN_PEER_URLS: `${scheme}://0.0.0.0:${PEER_PORT}`,
    ETCD_LISTEN_CLIENT_URLS: `${scheme}://0.0.0.0:${CLIENT_PORT}`,
    ETCD_LISTEN_METRICS_URLS: `http://0.0.0.0:${METRICS_PORT}`,
    ETCD_ADVERTISE_CLIENT_URLS: `${scheme}://${host}:${CLIENT_PORT}`,
    ETCD_INITIAL_ADVERTISE_PEER_URLS: `${scheme}://${host}:${PEER_PORT}`,
    ...tlsEnvironment(settings),
  };
}

/**
 * The join settings (model/joinContract.ts) come from the ConfigMap that the membership provider
 * writes with the cluster record, not this component: they change with every membership step, which a Pulumi-managed object could not
 * follow without restarting every pod, and they name only the member that may start on an empty
 * volume (docs/design.md, "The cluster record and .started names"). A pod reads them only at its start, and etcd
 * ignores them once its data dir exists. The reference is not optional on purpose: a pod created
 * before the provider wrote them (or after a destroy removed them) waits instead of starting etcd.
 */
export function joinSettingsSource(
  settings: ClusterSettings,
): k8s.types.input.core.v1.EnvFromSource {
  return { configMapRef: { name: joinConfigMapName(clusterIdentity(settings)) } };
}

/**
 * Probes on the metrics listener, none of which needs quorum to let a member start. `/livez` is a
 * local serializable read; `/readyz` also needs a linearizable read and, from etcd 3.5.19, reports
 * a learner as not ready, which keeps learners out of the client Service. Both exist from 3.5.11.
 */
export function etcdProbes(): Pick<
  k8s.types.input.core.v1.Container,
  "startupProbe" | "livenessProbe" | "readinessProbe"
> {
  const livez = { path: "/livez", port: "metrics" };
  return {
    // Up to 5 minutes to replay a large WAL or receive a snapshot before liveness takes over.
    // Asked every second: a member counts as Ready (the kubelet probes readiness at once when
    // startup passes) about a second after it serves instead of up to five; `/livez` is a local
    // read, so the extra probes cost nothing, and only until the member has started.
    startupProbe: {
      httpGet: livez,
      periodSeconds: 1,
      timeoutSeconds: 5,
      failureThreshold: 300,
    },
    // Restarting a member costs a catch-up; only a minute of failures justifies it.
    livenessProbe: {
      httpGet: livez,
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 6,
    },
    // Asked every second, so a member that turns ready (its first leader, its promotion from
    // learner: `/readyz` fails for a learner) is Ready within a second, not up to five. NotReady
    // after 15 s of failures, as at five seconds times three: fifteen in a row, each bounded by a
    // one-second timeout, since the kubelet probes one at a time and a member that hangs (paused,
    // a stalled disk) would otherwise fail only once per timeout. A linearizable read answers in
    // milliseconds; one a second per member is one heartbeat round.
    readinessProbe: {
      httpGet: { path: "/readyz", port: "metrics" },
      periodSeconds: 1,
      timeoutSeconds: 1,
      failureThreshold: 15,
    },
  };
}

/** etcd writes only below its data dir; nothing else needs to be writable or privileged. */
export const CONTAINER_SECURITY_CONTEXT: k8s.types.input.core.v1.SecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ["ALL"] },
};

export function etcdContainer(settings: ClusterSettings): kx.types.Container {
  return {
    name: CONTAINER_NAME,
    image: settings.image,
    imagePullPolicy: "IfNotPresent",
    env: etcdEnvironment(settings),
    envFrom: [joinSettingsSource(settings)],
    ports: { client: CLIENT_PORT, peer: PEER_PORT, metrics: METRICS_PORT },
    volumeMounts: [{ name: DATA_VOLUME, mountPath: DATA_MOUNT_PATH }, ...tlsVolumeMounts(settings)],
    ...etcdProbes(),
    resources: settings.resources,
    securityContext: CONTAINER_SECURITY_CONTEXT,
    // etcd writes no termination-log file: its last log lines (e.g. "couldn't find local name" on
    // an empty volume) become the reason in the pod's status, where the provider reads it.
    terminationMessagePolicy: "FallbackToLogsOnError",
  };
}
