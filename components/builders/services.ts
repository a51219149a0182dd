/** The two Services: peers find each other through one, clients reach the cluster through the other. */
import type * as k8s from "@pulumi/kubernetes";
import { type ClusterSettings, clusterIdentity } from "../../model/config/settings";
import { CLIENT_PORT, PEER_PORT, clientServiceName, peerServiceName } from "../../model/naming";
import { SKIP_AWAIT, objectMeta, selectorLabels } from "./labels";

/**
 * Headless, so every pod gets the stable DNS name its peer URL is built from. Not-ready addresses
 * are published because a member must resolve its peers (and they it) before any of them is ready:
 * readiness needs a leader, and a leader needs the peers.
 */
export function peerServiceArgs(settings: ClusterSettings): k8s.core.v1.ServiceArgs {
  return {
    metadata: objectMeta(settings, peerServiceName(clusterIdentity(settings))),
    spec: {
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: selectorLabels(settings),
      ports: [
        { name: "client", port: CLIENT_PORT, targetPort: "client" },
        { name: "peer", port: PEER_PORT, targetPort: "peer" },
      ],
    },
  };
}

/**
 * Routes to ready members only, so a learner that is still catching up gets no client traffic.
 * Pulumi's Service await would count such learners, which are not ready by design, as a failure;
 * the membership resource is what waits for the members.
 */
export function clientServiceArgs(settings: ClusterSettings): k8s.core.v1.ServiceArgs {
  return {
    metadata: objectMeta(settings, clientServiceName(clusterIdentity(settings)), {
      [SKIP_AWAIT]: "true",
    }),
    spec: {
      type: settings.clientServiceType,
      selector: selectorLabels(settings),
      ports: [{ name: "client", port: CLIENT_PORT, targetPort: "client" }],
    },
  };
}
