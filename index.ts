/** The etcd-k8s program: the stack config, validated as a whole, becomes one EtcdCluster. */
import { readStackConfig } from "./components/stackConfig";
import { EtcdCluster } from "./components/etcdCluster";

const settings = readStackConfig();
const cluster = new EtcdCluster(settings.clusterName, settings);

export const clientEndpoint = cluster.clientEndpoint;
export const peerServiceName = cluster.peerServiceName;
export const statefulSetName = cluster.statefulSetName;
export const namespace = cluster.namespace;
export const size = cluster.size;
export const members = cluster.members;
export const leader = cluster.leader;
export const memberStatus = cluster.memberStatus;
export const latestSnapshot = cluster.latestSnapshot;
