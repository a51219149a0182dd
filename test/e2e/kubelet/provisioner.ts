/**
 * The process kubelet's storage: the external provisioner of a default StorageClass, doing what a
 * node-local provisioner does on a real cluster. For each claim the persistent-volume controller
 * hands to this provisioner it creates a directory and a `local` PersistentVolume pre-bound to the
 * claim (the controller then binds the two); for each released volume whose reclaim policy is
 * Delete it removes the directory and the PersistentVolume. So deleting a PVC deletes its data,
 * through the same controllers and finalizers (pvc-protection, pv-protection) as in production.
 */
import type * as k8s from "@kubernetes/client-node";
import * as fs from "node:fs";
import * as path from "node:path";
import type { WatchCache } from "./watchCache";

export const PROVISIONER = "etcd-k8s.invalid/process-kubelet";
export const DEFAULT_STORAGE_CLASS = "process-local";
const PROVISIONED_BY = "pv.kubernetes.io/provisioned-by";
const STORAGE_PROVISIONER = "volume.kubernetes.io/storage-provisioner";

export interface StorageCaches {
  claims: WatchCache<k8s.V1PersistentVolumeClaim>;
  volumes: WatchCache<k8s.V1PersistentVolume>;
  classes: WatchCache<k8s.V1StorageClass>;
}

export class VolumeProvisioner {
  private readonly busy = new Set<string>();

  constructor(
    private readonly core: k8s.CoreV1Api,
    private readonly storage: k8s.StorageV1Api,
    private readonly nodeName: string,
    private readonly volumesDir: string,
    private readonly caches: StorageCaches,
  ) {}

  /** The default StorageClass, created unless a class of that name exists. */
  async ensureStorageClass(): Promise<void> {
    try {
      await this.storage.createStorageClass({
        body: {
          metadata: {
            name: DEFAULT_STORAGE_CLASS,
            annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
          },
          provisioner: PROVISIONER,
          reclaimPolicy: "Delete",
          volumeBindingMode: "Immediate",
        },
      });
    } catch (error) {
      if ((error as { code?: number }).code !== 409) throw error;
    }
  }

  /** The directory backing a bound claim, or undefined while it is not bound to one of ours. */
  claimDirectory(namespace: string, claimName: string): string | undefined {
    const claim = this.caches.claims.get(namespace, claimName);
    const volumeName = claim?.spec?.volumeName;
    if (claim?.status?.phase !== "Bound" || !volumeName) return undefined;
    return this.caches.volumes.get(undefined, volumeName)?.spec?.local?.path;
  }

  /** Provisions claims waiting for this provisioner; deletes released volumes. Idempotent. */
  reconcile(): void {
    for (const claim of this.caches.claims.list()) {
      const waiting =
        claim.metadata?.annotations?.[STORAGE_PROVISIONER] === PROVISIONER &&
        !claim.spec?.volumeName &&
        !claim.metadata?.deletionTimestamp;
      if (waiting) this.once(`provision ${claim.metadata?.uid}`, () => this.provision(claim));
    }
    for (const volume of this.caches.volumes.list()) {
      const released =
        volume.status?.phase === "Released" &&
        volume.spec?.persistentVolumeReclaimPolicy === "Delete" &&
        volume.metadata?.annotations?.[PROVISIONED_BY] === PROVISIONER &&
        !volume.metadata?.deletionTimestamp;
      if (released) this.once(`delete ${volume.metadata?.name}`, () => this.remove(volume));
    }
  }

  private once(key: string, work: () => Promise<void>): void {
    if (this.busy.has(key)) return;
    this.busy.add(key);
    work()
      .catch((error: unknown) =>
        console.error(`process-kubelet: ${key}: ${(error as Error).message}`),
      )
      .finally(() => this.busy.delete(key));
  }

  private async provision(claim: k8s.V1PersistentVolumeClaim): Promise<void> {
    const meta = claim.metadata!;
    const name = `pvc-${meta.uid}`;
    const directory = path.join(this.volumesDir, name);
    fs.mkdirSync(directory, { recursive: true, mode: 0o755 });
    const className = claim.spec?.storageClassName ?? DEFAULT_STORAGE_CLASS;
    const storageClass = this.caches.classes.get(undefined, className);
    try {
      await this.core.createPersistentVolume({
        body: {
          metadata: { name, annotations: { [PROVISIONED_BY]: PROVISIONER } },
          spec: {
            capacity: { storage: claim.spec?.resources?.requests?.storage ?? "1Gi" },
            accessModes: claim.spec?.accessModes ?? ["ReadWriteOnce"],
            volumeMode: claim.spec?.volumeMode ?? "Filesystem",
            persistentVolumeReclaimPolicy: storageClass?.reclaimPolicy ?? "Delete",
            storageClassName: className,
            claimRef: {
              apiVersion: "v1",
              kind: "PersistentVolumeClaim",
              namespace: meta.namespace,
              name: meta.name,
              uid: meta.uid,
            },
            local: { path: directory },
            nodeAffinity: {
              required: {
                nodeSelectorTerms: [
                  {
                    matchExpressions: [
                      { key: "kubernetes.io/hostname", operator: "In", values: [this.nodeName] },
                    ],
                  },
                ],
              },
            },
          },
        },
      });
    } catch (error) {
      if ((error as { code?: number }).code !== 409) throw error;
    }
  }

  private async remove(volume: k8s.V1PersistentVolume): Promise<void> {
    const directory = volume.spec?.local?.path;
    // Only ever delete below this kubelet's own volumes directory.
    if (directory !== undefined && path.dirname(directory) === this.volumesDir) {
      fs.rmSync(directory, { recursive: true, force: true });
    }
    try {
      await this.core.deletePersistentVolume({ name: volume.metadata!.name! });
    } catch (error) {
      if ((error as { code?: number }).code !== 404) throw error;
    }
  }
}
