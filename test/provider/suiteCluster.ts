import { after } from "node:test";
import type { EtcdVersion } from "../harness/etcdBinaries";
import { type LocalCluster, localCluster } from "../harness/localCluster";

/**
 * For the `describe` it is called in: a local cluster, disposed after the suite's tests, and the
 * keys written to it so far (see writeData and assertConverged in scenario.ts).
 */
export function clusterForSuite(
  name: string,
  ipPrefix: string,
  version: EtcdVersion,
): { c: LocalCluster; data: Map<string, string> } {
  const c = localCluster(name, ipPrefix, version);
  after(() => c.dispose());
  return { c, data: new Map<string, string>() };
}
