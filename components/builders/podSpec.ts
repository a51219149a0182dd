/** The pod of one member: the etcd container plus scheduling and security around it. */
import type * as k8s from "@pulumi/kubernetes";
import * as kx from "@pulumi/kubernetesx";
import type * as pulumi from "@pulumi/pulumi";
import type { ClusterSettings } from "../../model/config/settings";
import { etcdContainer } from "./etcdContainer";
import { selectorLabels } from "./labels";
import { tlsVolumes } from "./tls";

/** The distroless `nonroot` user; the official etcd image would otherwise run as root. */
export const ETCD_USER_ID = 65532;

/** etcd transfers leadership and closes its WAL within seconds of SIGTERM. */
export const TERMINATION_GRACE_SECONDS = 30;

export const HOSTNAME_TOPOLOGY = "kubernetes.io/hostname";

/**
 * Two members on one node fail together. `required` refuses to schedule a member on a node that
 * already runs one (a pod stays Pending when nodes run out); `preferred` only tries.
 */
export function antiAffinity(
  settings: ClusterSettings,
): k8s.types.input.core.v1.Affinity | undefined {
  const term = {
    labelSelector: { matchLabels: selectorLabels(settings) },
    topologyKey: HOSTNAME_TOPOLOGY,
  };
  switch (settings.antiAffinity) {
    case "required":
      return { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [term] } };
    case "preferred":
      return {
        podAntiAffinity: {
          preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, podAffinityTerm: term }],
        },
      };
    case "none":
      return undefined;
  }
}

export const POD_SECURITY_CONTEXT: k8s.types.input.core.v1.PodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: ETCD_USER_ID,
  runAsGroup: ETCD_USER_ID,
  // Makes the volume writable for the non-root user; checking only the root avoids a recursive
  // chown of a large data dir at every start.
  fsGroup: ETCD_USER_ID,
  fsGroupChangePolicy: "OnRootMismatch",
  seccompProfile: { type: "RuntimeDefault" },
};

/** The pod spec in kubernetesx's shape (env and ports as maps), before PodBuilder expands it. */
export function etcdPodSpecArgs(settings: ClusterSettings): kx.types.PodSpec {
  const affinity = antiAffinity(settings);
  const volumes = tlsVolumes(settings);
  return {
    containers: [etcdContainer(settings)],
    ...(volumes.length > 0 ? { volumes } : {}),
    securityContext: POD_SECURITY_CONTEXT,
    ...(affinity === undefined ? {} : { affinity }),
    terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
    // Service links would inject variables such as ETCD_CLIENT_PORT for a Service named
    // `etcd-client`, which etcd would read as (unknown) configuration.
    enableServiceLinks: false,
    // etcd never calls the Kubernetes API.
    automountServiceAccountToken: false,
  };
}

/** The pod spec Kubernetes receives. */
export function etcdPodSpec(
  settings: ClusterSettings,
): pulumi.Output<k8s.types.input.core.v1.PodSpec> {
  return new kx.PodBuilder(etcdPodSpecArgs(settings)).podSpec;
}
