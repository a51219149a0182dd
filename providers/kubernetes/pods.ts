/** The StatefulSet's pods, found by its own label selector and by the `<name>-<ordinal>` pattern. */
import type { V1Pod } from "@kubernetes/client-node";
import { VOTER_LABEL, podName, statefulSetName } from "../../model/naming";
import type { PodState } from "../membership/types";
import { callKube, callKubeOrAbsent, unlessAbsent } from "./kubeCall";
import type { KubeContext } from "./kubeconfig";
import { labelSelectorQuery, ordinalOf, podStateOf } from "./podState";

const describeStatefulSet = (ctx: KubeContext): string =>
  `StatefulSet ${ctx.identity.namespace}/${statefulSetName(ctx.identity)}`;

export const describePod = (ctx: KubeContext, ordinal: number): string =>
  `pod ${ctx.identity.namespace}/${podName(ctx.identity, ordinal)}`;

/** Pods of the StatefulSet, ordered by ordinal. Pods that match the selector but not the name pattern are not ours. */
export async function listPods(ctx: KubeContext): Promise<PodState[]> {
  const { namespace } = ctx.identity;
  const statefulSet = await callKube(`read ${describeStatefulSet(ctx)}`, ctx.server, (o) =>
    ctx.apps.readNamespacedStatefulSet({ name: statefulSetName(ctx.identity), namespace }, o),
  );
  const labelSelector = labelSelectorQuery(statefulSet.spec?.selector ?? {});
  if (labelSelector === "") {
    throw new Error(
      `${describeStatefulSet(ctx)}: spec.selector is empty; it would select every pod`,
    );
  }
  const list = await callKube(
    `list pods of ${describeStatefulSet(ctx)} (selector ${labelSelector})`,
    ctx.server,
    (o) => ctx.core.listNamespacedPod({ namespace, labelSelector }, o),
  );
  const prefix = `${statefulSetName(ctx.identity)}-`;
  return list.items
    .flatMap((pod) => {
      const ordinal = ordinalOf(pod.metadata?.name ?? "", prefix);
      return ordinal === undefined ? [] : [podStateOf(pod, ordinal)];
    })
    .sort((a, b) => a.ordinal - b.ordinal);
}

/** The pod at one ordinal, or undefined when it does not exist. */
export async function readPod(ctx: KubeContext, ordinal: number): Promise<V1Pod | undefined> {
  return callKubeOrAbsent(`read ${describePod(ctx, ordinal)}`, ctx.server, (o) =>
    ctx.core.readNamespacedPod(
      { name: podName(ctx.identity, ordinal), namespace: ctx.identity.namespace },
      o,
    ),
  );
}

/** Deletes the pod so that its StatefulSet starts it again; one already gone is fine. */
export async function deletePod(ctx: KubeContext, ordinal: number): Promise<void> {
  await unlessAbsent(
    callKube(`delete ${describePod(ctx, ordinal)}`, ctx.server, (o) =>
      ctx.core.deleteNamespacedPod(
        { name: podName(ctx.identity, ordinal), namespace: ctx.identity.namespace },
        o,
      ),
    ),
  );
}

/** Sets or removes the voter label; a pod that does not exist is left alone. */
export async function labelVoter(ctx: KubeContext, ordinal: number, voter: boolean): Promise<void> {
  await unlessAbsent(
    callKube(
      `${voter ? "label" : "unlabel"} ${describePod(ctx, ordinal)} ${VOTER_LABEL}`,
      ctx.server,
      (o) =>
        ctx.core.patchNamespacedPod(
          {
            name: podName(ctx.identity, ordinal),
            namespace: ctx.identity.namespace,
            body: { metadata: { labels: { [VOTER_LABEL]: voter ? "true" : null } } },
          },
          o,
        ),
      { "Content-Type": "application/merge-patch+json" },
    ),
  );
}
