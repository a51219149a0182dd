/**
 * The member count lives in the StatefulSet's `scale` subresource. The provider reads and patches
 * only that, never the StatefulSet itself: Pulumi owns the template, the provider owns the count.
 */
import { statefulSetName } from "../../model/naming";
import { callKube } from "./kubeCall";
import type { KubeContext } from "./kubeconfig";

const describeScale = (ctx: KubeContext): string =>
  `StatefulSet ${ctx.identity.namespace}/${statefulSetName(ctx.identity)}/scale`;

export async function readReplicas(ctx: KubeContext): Promise<number> {
  const scale = await callKube(`read ${describeScale(ctx)}`, ctx.server, (o) =>
    ctx.apps.readNamespacedStatefulSetScale(
      { name: statefulSetName(ctx.identity), namespace: ctx.identity.namespace },
      o,
    ),
  );
  // The API omits `replicas` when it is 0.
  return scale.spec?.replicas ?? 0;
}

export async function patchReplicas(ctx: KubeContext, replicas: number): Promise<void> {
  if (!Number.isInteger(replicas) || replicas < 0) {
    throw new Error(
      `scale ${describeScale(ctx)}: replicas ${JSON.stringify(replicas)} is not allowed; it must be a whole number, 0 or more`,
    );
  }
  // A merge patch, so an omitted `replicas` (meaning 0) can be set as well as a present one.
  await callKube(
    `patch ${describeScale(ctx)} to ${replicas} replicas`,
    ctx.server,
    (o) =>
      ctx.apps.patchNamespacedStatefulSetScale(
        {
          name: statefulSetName(ctx.identity),
          namespace: ctx.identity.namespace,
          body: { spec: { replicas } },
        },
        o,
      ),
    { "Content-Type": "application/merge-patch+json" },
  );
}

/** When the StatefulSet was created (API server clock): a claim older than it is not its own. */
export async function readCreatedAt(ctx: KubeContext): Promise<number | undefined> {
  const statefulSet = await callKube(
    `read StatefulSet ${ctx.identity.namespace}/${statefulSetName(ctx.identity)}`,
    ctx.server,
    (o) =>
      ctx.apps.readNamespacedStatefulSet(
        { name: statefulSetName(ctx.identity), namespace: ctx.identity.namespace },
        o,
      ),
  );
  const created = statefulSet.metadata?.creationTimestamp;
  return created === undefined ? undefined : new Date(created as unknown as string).getTime();
}
