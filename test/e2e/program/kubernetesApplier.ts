/**
 * Applies the Kubernetes objects a Pulumi program registers the way @pulumi/kubernetes 4.x does by
 * default (server-side apply, forced, one field manager), and deletes them the way `pulumi destroy`
 * or a removed resource does (delete, then wait until the object is gone).
 */
import * as k8s from "@kubernetes/client-node";
import { ExponentialBackoff, TimeoutStrategy, handleWhen, retry, timeout, wrap } from "cockatiel";

export const FIELD_MANAGER = "pulumi-kubernetes";

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

function statusOf(err: unknown): number | undefined {
  const e = err as { code?: number; statusCode?: number; response?: { statusCode?: number } };
  return e.code ?? e.statusCode ?? e.response?.statusCode;
}

export class KubernetesApplier {
  private readonly objects: k8s.KubernetesObjectApi;

  constructor(kubeconfigPath: string) {
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    this.objects = k8s.KubernetesObjectApi.makeApiClient(kc);
  }

  async apply(object: k8s.KubernetesObject): Promise<k8s.KubernetesObject> {
    return this.objects.patch(
      object,
      undefined,
      undefined,
      FIELD_MANAGER,
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
  }

  /** Deletes the object and resolves once the API server no longer has it (finalizers done). */
  async delete(ref: ObjectRef, timeoutMs = 120_000): Promise<void> {
    const spec = {
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      metadata: { name: ref.name, namespace: ref.namespace },
    };
    try {
      await this.objects.delete(spec, undefined, undefined, undefined, undefined, "Background");
    } catch (err) {
      if (statusOf(err) === 404) return;
      throw err;
    }
    const stillThere = Symbol("still there");
    const policy = wrap(
      timeout(timeoutMs, TimeoutStrategy.Aggressive),
      retry(
        handleWhen((err) => (err as { marker?: symbol }).marker === stillThere),
        { backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1000 }) },
      ),
    );
    await policy.execute(async () => {
      try {
        await this.objects.read(spec);
      } catch (err) {
        if (statusOf(err) === 404) return;
        throw err;
      }
      throw Object.assign(new Error(`${describe(ref)} is still being deleted`), {
        marker: stillThere,
      });
    });
  }
}

export function describe(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ""}${ref.name}`;
}
