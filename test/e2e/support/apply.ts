import * as k8s from "@kubernetes/client-node";

/** Server-side apply of each object in order (forcing ownership, as `kubectl apply --server-side --force-conflicts`). */
export async function serverSideApply(
  config: k8s.KubeConfig,
  objects: k8s.KubernetesObject[],
  fieldManager = "etcd-k8s-e2e",
): Promise<void> {
  const client = k8s.KubernetesObjectApi.makeApiClient(config);
  for (const object of objects) {
    await client.patch(
      object,
      undefined,
      undefined,
      fieldManager,
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
  }
}
