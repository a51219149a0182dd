import type { MembershipArgs } from "../../model/membership/inputs";
import { kubeconfigText } from "./kubeconfigText";

/**
 * Membership args whose kubeconfig names a server where nothing listens: any API call would fail,
 * so a test that passes with them shows that none was made.
 */
export const offlineArgs = (overrides: Partial<MembershipArgs> = {}): MembershipArgs => ({
  clusterName: "etcd",
  owner: "etcd-k8s/test/etcd",
  namespace: "db",
  clusterDomain: "cluster.local",
  size: 3,
  volumePolicy: "Delete",
  access: "port-forward",
  kubeconfig: kubeconfigText("https://127.2.0.1:9", "unused"),
  ...overrides,
});
