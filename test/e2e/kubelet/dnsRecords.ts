/**
 * The records cluster DNS (CoreDNS) would serve for headless Services, as /etc/hosts lines.
 *
 * On a real cluster they come from the EndpointSlices the endpointslice controller writes. Here
 * that cannot work: the API server refuses loopback addresses in Endpoints and EndpointSlices
 * ("may not be in the loopback range"), so the controllers can never publish our pod IPs. The
 * same rules are therefore applied to the pods directly (endpointslice controller and CoreDNS):
 * a pod selected by a headless Service is served when it has an IP, is not terminal, and is ready
 * or the Service has publishNotReadyAddresses (which also keeps terminating pods); its
 * `<hostname>.<service>.<namespace>.svc.<domain>` name exists when its hostname is set and its
 * subdomain is the Service. Only pods on this kubelet's node are published.
 */
import type { V1Pod, V1Service } from "@kubernetes/client-node";
import { isReady } from "../support/pods";
import type { HostsEntry } from "./hosts";

function selects(service: V1Service, pod: V1Pod): boolean {
  const selector = Object.entries(service.spec?.selector ?? {});
  return (
    selector.length > 0 &&
    pod.metadata?.namespace === service.metadata?.namespace &&
    selector.every(([k, v]) => pod.metadata?.labels?.[k] === v)
  );
}

export function headlessServiceRecords(
  services: readonly V1Service[],
  pods: readonly V1Pod[],
  nodeName: string,
  clusterDomain: string,
): HostsEntry[] {
  const entries: HostsEntry[] = [];
  for (const service of services) {
    if (service.spec?.clusterIP !== "None") continue;
    const name = service.metadata?.name ?? "";
    const serviceHost = `${name}.${service.metadata?.namespace}.svc.${clusterDomain}`;
    const publishNotReady = service.spec.publishNotReadyAddresses === true;
    for (const pod of pods) {
      const ip = pod.status?.podIP;
      if (pod.spec?.nodeName !== nodeName || !ip || !selects(service, pod)) continue;
      if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") continue;
      if (!publishNotReady && (pod.metadata?.deletionTimestamp || !isReady(pod))) continue;
      const hostname = pod.spec.hostname;
      const names =
        hostname && pod.spec.subdomain === name
          ? [`${hostname}.${serviceHost}`, serviceHost]
          : [serviceHost];
      entries.push({ ip, names });
    }
  }
  return entries.sort((a, b) => (a.names[0] < b.names[0] ? -1 : a.names[0] > b.names[0] ? 1 : 0));
}

/**
 * The line the kubelet writes for a pod into the pod's own /etc/hosts before its containers start:
 * its `<hostname>.<subdomain>.<namespace>.svc.<domain>` name at its IP, so a member resolves its
 * own peer URL at once. Here every process shares the host's /etc/hosts, so the line goes into
 * the kubelet's block there, and the other pods see the name a moment before cluster DNS would
 * serve it (as soon as the status with the IP reaches the API). None without hostname and subdomain.
 */
export function podOwnHostsEntry(
  pod: V1Pod,
  ip: string,
  clusterDomain: string,
): HostsEntry | undefined {
  const { hostname, subdomain } = pod.spec ?? {};
  if (!hostname || !subdomain) return undefined;
  return {
    ip,
    names: [`${hostname}.${subdomain}.${pod.metadata?.namespace}.svc.${clusterDomain}`],
  };
}
