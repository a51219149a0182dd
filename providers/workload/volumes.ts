/**
 * Member volumes are the PVCs `data-<name>-<ordinal>` that the StatefulSet's volumeClaimTemplate
 * creates. A PVC that is being deleted still counts as a volume until it is gone from the API:
 * its data still exists, and a pod created for that ordinal meanwhile could still bind it, so the
 * reconciler must see it and wait rather than re-add the member.
 */
import { DATA_VOLUME, pvcName, statefulSetName } from "../../components/naming";
import { callKube, callKubeOrAbsent, isNotFound } from "./kube-call";
import type { KubeContext } from "./kubeconfig";
import { describePod, readPod } from "./pods";
import { ordinalOf } from "./pod-state";
import { DEFAULT_WAIT_LIMITS, waitUntil, type WaitLimits } from "./wait";

const PVC_PROTECTION = "kubernetes.io/pvc-protection";

const describePvc = (ctx: KubeContext, ordinal: number): string =>
  `PersistentVolumeClaim ${ctx.identity.namespace}/${pvcName(ctx.identity, ordinal)}`;

/** Ordinals that own a PVC (including one being deleted), ascending. */
export async function listVolumes(ctx: KubeContext): Promise<number[]> {
  const { namespace } = ctx.identity;
  const list = await callKube(`list PersistentVolumeClaims in ${namespace}`, ctx.server, (o) =>
    ctx.core.listNamespacedPersistentVolumeClaim({ namespace }, o),
  );
  const prefix = `${DATA_VOLUME}-${statefulSetName(ctx.identity)}-`;
  return list.items
    .flatMap((pvc) => {
      const ordinal = ordinalOf(pvc.metadata?.name ?? "", prefix);
      return ordinal === undefined ? [] : [ordinal];
    })
    .sort((a, b) => a - b);
}

/**
 * Deletes the PVC of a member whose pod is gone and resolves once the PVC no longer exists (the
 * pvc-protection finalizer clears once no pod uses it). Refuses while the pod exists: the
 * StatefulSet would keep the claim in use, or bind a fresh one under a member that has data.
 */
export async function deleteVolume(
  ctx: KubeContext,
  ordinal: number,
  limits: WaitLimits = DEFAULT_WAIT_LIMITS,
): Promise<void> {
  const what = describePvc(ctx, ordinal);
  const pod = await readPod(ctx, ordinal);
  if (pod) {
    throw new Error(
      `delete ${what}: refused because ${describePod(ctx, ordinal)} still exists; scale the StatefulSet below ${ordinal + 1} and wait until the pod is gone`,
    );
  }
  const name = pvcName(ctx.identity, ordinal);
  const { namespace } = ctx.identity;
  try {
    await callKube(`delete ${what}`, ctx.server, (o) =>
      ctx.core.deleteNamespacedPersistentVolumeClaim({ name, namespace }, o),
    );
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  await waitUntil(
    `delete ${what}`,
    async () => {
      const pvc = await callKubeOrAbsent(`read ${what}`, ctx.server, (o) =>
        ctx.core.readNamespacedPersistentVolumeClaim({ name, namespace }, o),
      );
      if (!pvc) return undefined;
      const finalizers = pvc.metadata?.finalizers ?? [];
      if (finalizers.length === 0) return "it still exists";
      const hint = finalizers.includes(PVC_PROTECTION)
        ? ` (${PVC_PROTECTION} clears once no pod uses the claim)`
        : "";
      return `it still exists with finalizers ${finalizers.join(", ")}${hint}`;
    },
    limits,
  );
}
