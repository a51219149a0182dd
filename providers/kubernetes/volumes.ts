/**
 * Member volumes are the PVCs `data-<name>-<ordinal>` that the StatefulSet's volumeClaimTemplate
 * creates. A PVC that is being deleted still counts as a volume until it is gone from the API:
 * its data still exists, and a pod created for that ordinal meanwhile could still bind it, so the
 * reconciler must see it and wait rather than re-add the member.
 */
import { DATA_VOLUME, pvcName, statefulSetName } from "../../model/naming";
import { callKube, callKubeOrAbsent, unlessAbsent } from "./kubeCall";
import type { KubeContext } from "./kubeconfig";
import type { VolumeState } from "../membership/types";
import { deletePod, describePod, readPod } from "./pods";
import { ordinalOf } from "./podState";
import { DEFAULT_WAIT_LIMITS, waitUntil, type WaitLimits } from "./wait";

const PVC_PROTECTION = "kubernetes.io/pvc-protection";

const describePvc = (ctx: KubeContext, ordinal: number): string =>
  `PersistentVolumeClaim ${ctx.identity.namespace}/${pvcName(ctx.identity, ordinal)}`;

/** PVCs of member ordinals (including one being deleted), ascending, with their creation time. */
export async function listVolumes(ctx: KubeContext): Promise<VolumeState[]> {
  const { namespace } = ctx.identity;
  const list = await callKube(`list PersistentVolumeClaims in ${namespace}`, ctx.server, (o) =>
    ctx.core.listNamespacedPersistentVolumeClaim({ namespace }, o),
  );
  const prefix = `${DATA_VOLUME}-${statefulSetName(ctx.identity)}-`;
  return list.items
    .flatMap((pvc) => {
      const ordinal = ordinalOf(pvc.metadata?.name ?? "", prefix);
      if (ordinal === undefined) return [];
      const created = pvc.metadata?.creationTimestamp;
      const createdAt =
        created === undefined
          ? {}
          : { createdAt: new Date(created as unknown as string).getTime() };
      return [{ ordinal, ...createdAt }];
    })
    .sort((a, b) => a.ordinal - b.ordinal);
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
  await unlessAbsent(
    callKube(`delete ${what}`, ctx.server, (o) =>
      ctx.core.deleteNamespacedPersistentVolumeClaim({ name, namespace }, o),
    ),
  );
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

/**
 * Replaces the PVC of an ordinal whose pod runs (one below other members: scaling cannot stop it).
 * The claim is deleted first (pvc-protection holds it while the pod uses it), then the pod; once
 * the pod is gone the claim goes, and the StatefulSet creates the pod again with a new claim (it
 * refuses to create the pod while the old claim is being deleted). Resolves once the old claim is
 * gone, so a later observation never mistakes it for the new one.
 */
export async function replaceVolume(
  ctx: KubeContext,
  ordinal: number,
  limits: WaitLimits = DEFAULT_WAIT_LIMITS,
): Promise<void> {
  const what = describePvc(ctx, ordinal);
  const name = pvcName(ctx.identity, ordinal);
  const { namespace } = ctx.identity;
  const read = () =>
    callKubeOrAbsent(`read ${what}`, ctx.server, (o) =>
      ctx.core.readNamespacedPersistentVolumeClaim({ name, namespace }, o),
    );
  const old = (await read())?.metadata?.uid;
  if (old !== undefined)
    await unlessAbsent(
      callKube(`delete ${what}`, ctx.server, (o) =>
        ctx.core.deleteNamespacedPersistentVolumeClaim({ name, namespace }, o),
      ),
    );
  await deletePod(ctx, ordinal);
  if (old === undefined) return;
  await waitUntil(
    `replace ${what}`,
    async () => ((await read())?.metadata?.uid === old ? "the old claim still exists" : undefined),
    limits,
  );
}
