/**
 * The NetworkPolicy (with `networkPolicy.enabled`): members reach each other's peer port, the
 * configured sources reach the client and metrics ports, nothing else gets in.
 *
 * Not covered by design: the kubelet's probes come from the node, which most CNI plugins always
 * admit to its own pods, and `access: port-forward` enters the pod through the kubelet and the
 * container runtime, not the pod network. With `access: pod-ip` the membership provider connects to
 * the pods' IPs and must be admitted by a client selector or `providerCIDRs`.
 */
import type * as k8s from "@pulumi/kubernetes";
import {
  type ClusterSettings,
  type TrafficSource,
  clusterIdentity,
} from "../../model/config/settings";
import { CLIENT_PORT, METRICS_PORT, PEER_PORT, networkPolicyName } from "../../model/naming";
import { objectMeta, selectorLabels } from "./labels";

type IngressRule = k8s.types.input.networking.v1.NetworkPolicyIngressRule;
type PolicyPeer = k8s.types.input.networking.v1.NetworkPolicyPeer;

const onPort = (port: number) => [{ port, protocol: "TCP" }];

const peerOf = (source: TrafficSource): PolicyPeer => ({
  ...(source.podSelector ? { podSelector: { matchLabels: source.podSelector } } : {}),
  ...(source.namespaceSelector
    ? { namespaceSelector: { matchLabels: source.namespaceSelector } }
    : {}),
});

/**
 * A rule with an empty `from` admits every source, so a port nobody was granted gets no rule at
 * all, which under a policy of type Ingress means closed.
 */
function ruleFor(port: number, from: PolicyPeer[]): IngressRule[] {
  return from.length === 0 ? [] : [{ from, ports: onPort(port) }];
}

export function networkPolicyArgs(settings: ClusterSettings): k8s.networking.v1.NetworkPolicyArgs {
  const policy = settings.networkPolicy;
  const members: PolicyPeer = { podSelector: { matchLabels: selectorLabels(settings) } };
  return {
    metadata: objectMeta(settings, networkPolicyName(clusterIdentity(settings))),
    spec: {
      podSelector: { matchLabels: selectorLabels(settings) },
      policyTypes: ["Ingress"],
      ingress: [
        ...ruleFor(PEER_PORT, [members]),
        ...ruleFor(CLIENT_PORT, [
          ...policy.clientSelectors.map(peerOf),
          ...policy.providerCIDRs.map((cidr) => ({ ipBlock: { cidr } })),
        ]),
        ...ruleFor(METRICS_PORT, policy.metricsSelectors.map(peerOf)),
      ],
    },
  };
}
