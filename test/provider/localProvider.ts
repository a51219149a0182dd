/**
 * The membership provider as the tests build it over a local cluster's etcd processes: with the
 * test settings and every progress line kept, or serialized as `pulumi up` ships it.
 */
import * as pulumi from "@pulumi/pulumi";
import { createMembershipProvider } from "../../providers/membership/provider";
import type { LocalCluster } from "../harness/localCluster";
import { localWorkloadFactory } from "../harness/localWorkload";
import { TEST_RECONCILE } from "./scenario";

/** The provider over `c`; every line it logs is appended to `logged`. */
export function loggingProvider(
  c: LocalCluster,
  logged: string[],
): pulumi.dynamic.ResourceProvider {
  return createMembershipProvider(localWorkloadFactory(c.options), {
    ...TEST_RECONCILE,
    log: (line) => logged.push(line),
  });
}

/**
 * The provider over `c` with the test wait budget, serialized by @pulumi/pulumi as `pulumi up`
 * serializes a dynamic provider: with everything it captures, the local workload factory included.
 */
export function serializedProvider(c: LocalCluster): Promise<pulumi.runtime.SerializedFunction> {
  const provider = createMembershipProvider(localWorkloadFactory(c.options), {
    waitBudgetMs: TEST_RECONCILE.waitBudgetMs,
  });
  return pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
}
