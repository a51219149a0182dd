/**
 * How the provider reaches one member's client port, per access mode:
 * - `port-forward` (default): a local listener tunnelled through the Kubernetes API;
 * - `pod-ip`: the pod IP from the pod's status, when the provider runs inside the cluster network;
 * - `endpoints`: the user's `endpointTemplate`.
 */
import { ACCESS_MODES, checkOneOf } from "../../model/config/rules";
import { CLIENT_PORT, type MemberSlot } from "../../model/naming";
import type { AccessMode } from "../../model/config/rules";
import type { MembershipTls } from "../../model/membership/inputs";
import type { Endpoint } from "../membership/types";
import { podIPClientURL, templateClientURL } from "./clientUrl";
import type { KubeContext } from "./kubeconfig";
import { describePod, readPod } from "./pods";
import { probePortForward } from "./forwardProbe";
import { kubePortForwardTunnel, startForwardServer } from "./portForward";

export interface AccessSettings {
  access?: AccessMode;
  endpointTemplate?: string;
  /** Present when the members speak TLS: the URLs the provider opens are then https. */
  tls?: MembershipTls;
}

/** Port-forward listeners bind loopback only: the tunnel is as privileged as the kubeconfig. */
export const FORWARD_HOST = "127.0.0.1";

/** The tunnel carries bytes; TLS runs end to end between the provider and the member. */
const asHttps = (url: string): string => url.replace(/^http:/, "https:");

const nothingToClose = async (): Promise<void> => undefined;

async function existingPod(ctx: KubeContext, slot: MemberSlot, purpose: string) {
  const pod = await readPod(ctx, slot.ordinal);
  const what = describePod(ctx, slot.ordinal);
  if (!pod) throw new Error(`${purpose} for member ${slot.name}: ${what} does not exist`);
  return { pod, what };
}

export async function openClientEndpoint(
  ctx: KubeContext,
  settings: AccessSettings,
  slot: MemberSlot,
): Promise<Endpoint> {
  const access = settings.access ?? "port-forward";
  switch (access) {
    case "endpoints": {
      if (!settings.endpointTemplate) {
        throw new Error(
          `endpointTemplate: (missing) is not allowed with access "endpoints"; give one client URL template such as "https://{name}.etcd.example.com:2379"`,
        );
      }
      return { url: templateClientURL(settings.endpointTemplate, slot), close: nothingToClose };
    }
    case "pod-ip": {
      const { pod, what } = await existingPod(ctx, slot, "client URL");
      const podIP = pod.status?.podIP;
      if (!podIP) {
        throw new Error(
          `client URL for member ${slot.name}: ${what} has no pod IP yet (phase ${pod.status?.phase ?? "unknown"})`,
        );
      }
      return { url: podIPClientURL(podIP, settings.tls !== undefined), close: nothingToClose };
    }
    case "port-forward": {
      const { pod, what } = await existingPod(ctx, slot, "port-forward");
      if (pod.status?.phase !== "Running") {
        throw new Error(
          `port-forward for member ${slot.name}: ${what} is not running (phase ${pod.status?.phase ?? "unknown"})`,
        );
      }
      const { namespace } = ctx.identity;
      const podName = pod.metadata?.name ?? slot.name;
      await probePortForward(ctx, podName, CLIENT_PORT);
      const tunnel = kubePortForwardTunnel(ctx.kubeConfig, namespace, podName, CLIENT_PORT);
      const server = await startForwardServer(FORWARD_HOST, tunnel);
      return settings.tls === undefined ? server : { ...server, url: asHttps(server.url) };
    }
    default:
      throw new Error(checkOneOf("access", access, ACCESS_MODES)?.message);
  }
}
