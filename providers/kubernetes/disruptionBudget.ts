/**
 * Keeps the PodDisruptionBudget's status in step with the voter label. Kubernetes' disruption
 * controller recomputes a budget when one of *its* pods changes or the budget itself does
 * (pkg/controller/disruption: updatePod looks up budgets by the pod's new labels), so a pod that
 * loses the label leaves the budget counting it, and the Eviction API trusts that status. After
 * taking the label off, the provider touches the budget and waits, bounded, until its status
 * counts no more healthy pods than carry the label: then a removal that follows is never
 * mistaken for a healthy voter by an eviction.
 */
import { VOTER_LABEL, disruptionBudgetName } from "../../model/naming";
import { clientNode } from "./modules";
import { callKube, callKubeOrAbsent, unlessAbsent } from "./kubeCall";
import type { KubeContext } from "./kubeconfig";
import { waitUntil, type WaitLimits } from "./wait";

const TOUCHED = "etcd-k8s.io/voters-changed";

/** Long enough for a busy controller manager; the budget only gets stricter meanwhile. */
export const BUDGET_WAIT: WaitLimits = { initialDelayMs: 50, maxDelayMs: 500, totalMs: 20_000 };

const describeBudget = (ctx: KubeContext): string =>
  `PodDisruptionBudget ${ctx.identity.namespace}/${disruptionBudgetName(ctx.identity)}`;

/** Ready pods that carry the voter label: what the budget should count as healthy. */
async function labelledReady(ctx: KubeContext): Promise<number> {
  const { namespace } = ctx.identity;
  const list = await callKube(`list pods labelled ${VOTER_LABEL}`, ctx.server, (o) =>
    ctx.core.listNamespacedPod({ namespace, labelSelector: `${VOTER_LABEL}=true` }, o),
  );
  return list.items.filter((p) =>
    p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
  ).length;
}

/**
 * Touches the budget so that the controller recomputes it, then waits until it counts at most
 * the labelled ready pods. A budget that does not exist (removed by hand) needs nothing; one whose
 * controller does not answer in time is reported, not waited on for ever.
 */
export async function settleBudget(
  ctx: KubeContext,
  log: (line: string) => void,
  limits: WaitLimits = BUDGET_WAIT,
): Promise<void> {
  const policy = ctx.kubeConfig.makeApiClient(clientNode().PolicyV1Api);
  const name = disruptionBudgetName(ctx.identity);
  const { namespace } = ctx.identity;
  const read = () =>
    callKubeOrAbsent(`read ${describeBudget(ctx)}`, ctx.server, (o) =>
      policy.readNamespacedPodDisruptionBudget({ name, namespace }, o),
    );
  if (!(await read())) return;
  await unlessAbsent(
    callKube(
      `annotate ${describeBudget(ctx)}`,
      ctx.server,
      (o) =>
        policy.patchNamespacedPodDisruptionBudget(
          {
            name,
            namespace,
            body: { metadata: { annotations: { [TOUCHED]: new Date().toISOString() } } },
          },
          o,
        ),
      { "Content-Type": "application/merge-patch+json" },
    ),
  );
  try {
    await waitUntil(
      `${describeBudget(ctx)} to count only labelled voters`,
      async () => {
        const [budget, healthy] = await Promise.all([read(), labelledReady(ctx)]);
        const counted = budget?.status?.currentHealthy;
        if (!budget || counted === undefined || counted <= healthy) return undefined;
        return `it counts ${counted} healthy pods, ${healthy} ready pods carry the label`;
      },
      limits,
    );
  } catch (error) {
    log(
      `${(error as Error).message}; evictions stay limited by its last count until it is recomputed`,
    );
  }
}
