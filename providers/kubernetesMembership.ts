/** The production membership provider: the reconciler over the StatefulSet's Kubernetes workload. */
import { createKubernetesWorkload } from "./kubernetes/kubernetesWorkload";
import { createMembershipProvider } from "./membership/provider";

export const kubernetesMembershipProvider = createMembershipProvider(createKubernetesWorkload);
