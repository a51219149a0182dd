/**
 * A list+watch cache of one resource (client-node's informer) that keeps itself connected: the
 * informer stops on an error, so it is restarted with a growing delay (up to 5 s) until `stop()`.
 */
import * as k8s from "@kubernetes/client-node";
import { ExponentialBackoff, type IBackoff } from "cockatiel";

export class WatchCache<T extends k8s.KubernetesObject> {
  private readonly informer: k8s.Informer<T> & k8s.ObjectCache<T>;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  private backoff: IBackoff<unknown> | undefined;

  constructor(
    config: k8s.KubeConfig,
    path: string,
    list: () => Promise<k8s.KubernetesListObject<T>>,
    onChange: (object: T) => void,
  ) {
    this.informer = k8s.makeInformer(config, path, list);
    this.informer.on("add", onChange);
    this.informer.on("update", onChange);
    this.informer.on("delete", onChange);
    this.informer.on("error", () => {
      if (this.stopped) return;
      this.backoff = (
        this.backoff ?? new ExponentialBackoff({ initialDelay: 200, maxDelay: 5_000 })
      ).next(undefined);
      this.retry = setTimeout(() => void this.informer.start(), this.backoff.duration);
    });
  }

  /** Resolves once the initial list is in the cache and the watch is open. */
  start(): Promise<void> {
    return this.informer.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.informer.stop();
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.informer.list(namespace);
  }
}
