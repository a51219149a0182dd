import {
  type ClusterSettings,
  type EtcdClusterArgs,
  resolveClusterSettings,
} from "../../model/config/settings";

/** Valid settings for builder tests: three members named `etcd` unless `args` say otherwise. */
export function settingsFor(args: Partial<EtcdClusterArgs> = {}): ClusterSettings {
  return resolveClusterSettings("test settings", { size: 3, ...args }, "etcd");
}
