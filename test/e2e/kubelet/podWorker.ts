/**
 * Everything the kubelet does for one pod bound to its node: a pod IP, the volumes, one
 * ContainerRunner per container, the status it reports through pods/status, and the end of the
 * pod's life (stop the processes within the grace period, then complete the deletion).
 */
import * as k8s from "@kubernetes/client-node";
import * as fs from "node:fs";
import * as path from "node:path";
import { ContainerRunner, type CrashLoopBackoff, type StartBlocked } from "./containerRunner";
import { type ConfigSources, ContainerConfigError, resolveEnvironment } from "./env";
import type { ImageConfig } from "./images";
import { type Launch, type Mount, RunContainerError, planLaunch } from "./launch";
import { unsupportedProbe } from "./probes";
import { podStatus } from "./podStatus";
import { serviceEnvironment } from "./serviceEnv";
import { writeSecretVolume } from "./secretVolume";
import { applyFsGroup } from "./volumeOwnership";

export interface PodWorkerDeps {
  core: k8s.CoreV1Api;
  hostIP: string;
  /** Directory for this pod's emptyDir volumes, stand-in root filesystems and logs. */
  podDir: string;
  allocateIP(): string;
  releaseIP(ip: string): void;
  /** Whether the pod's own hosts entry (if it needs one) is written: containers start after it. */
  ownHostsEntryWritten(pod: k8s.V1Pod, ip: string): boolean;
  images: readonly ImageConfig[];
  config: ConfigSources;
  services(): readonly k8s.V1Service[];
  claimDirectory(namespace: string, claim: string): string | undefined;
  backoff: CrashLoopBackoff;
  /** Retry interval while a container waits for its configuration or volumes. */
  retryMs: number;
}

const mergePatch = k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch);
const code = (error: unknown) => (error as { code?: number }).code;

export class PodWorker {
  private readonly runners: ContainerRunner[];
  private ip: string | undefined;
  private readonly startTime = new Date();
  private timer: NodeJS.Timeout | undefined;
  private terminating: Promise<void> | undefined;
  private statusDirty = false;
  private statusWriting = false;
  /** Set when the kubelet stops: the API is no longer written to. */
  private detached = false;

  constructor(
    private pod: k8s.V1Pod,
    private readonly deps: PodWorkerDeps,
  ) {
    const grace = (pod.spec?.terminationGracePeriodSeconds ?? 30) * 1000;
    this.runners = (pod.spec?.containers ?? []).map((container) => {
      const logsDir = path.join(deps.podDir, "logs", container.name);
      fs.mkdirSync(logsDir, { recursive: true });
      return new ContainerRunner({
        container,
        podIP: () => this.ip ?? "",
        restartPolicy: pod.spec?.restartPolicy ?? "Always",
        terminationGraceMs: grace,
        logsDir,
        backoff: deps.backoff,
        prepare: () => this.prepare(container),
        onChange: () => this.requestStatus(),
      });
    });
  }

  get podIP(): string | undefined {
    return this.ip;
  }

  /** The pod as last seen. */
  get current(): k8s.V1Pod {
    return this.pod;
  }

  /** The log file of a container's current (or last) run. */
  logFile(container: string): string | undefined {
    const dir = path.join(this.deps.podDir, "logs", container);
    const runner = this.runners.find((r) => r.name === container);
    return runner === undefined ? undefined : path.join(dir, `${runner.status().restartCount}.log`);
  }

  /** The pids of the container processes running now, by container name. */
  containerPids(): Record<string, number> {
    const pids: Record<string, number> = {};
    for (const runner of this.runners) {
      if (runner.pid !== undefined) pids[runner.name] = runner.pid;
    }
    return pids;
  }

  /** SIGSTOP or SIGCONT to every running container process; returns the pids signalled. */
  jobControl(signal: "SIGSTOP" | "SIGCONT"): number[] {
    return this.runners
      .map((r) => r.jobControl(signal))
      .filter((pid): pid is number => pid !== undefined);
  }

  update(pod: k8s.V1Pod): void {
    if (this.terminating !== undefined) return;
    this.pod = pod;
    if (pod.metadata?.deletionTimestamp) {
      const seconds =
        pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
      void this.terminate(seconds * 1000, true);
    } else {
      this.sync();
    }
  }

  /** Starts what should run; re-runs itself when a restart is due or a waiting container may proceed. */
  sync(): void {
    if (this.terminating !== undefined) return;
    clearTimeout(this.timer);
    if (this.ip === undefined) {
      this.ip = this.deps.allocateIP();
      this.requestStatus();
    }
    this.refreshSecretVolumes();
    for (const runner of this.runners) runner.sync();
    const due = this.runners
      .map((r) => (r.restartDueInMs === 0 ? this.deps.retryMs : r.restartDueInMs))
      .filter((ms): ms is number => ms !== undefined);
    if (due.length > 0) this.timer = setTimeout(() => this.sync(), Math.min(...due));
  }

  private prepare(container: k8s.V1Container): Launch | StartBlocked {
    const pod = this.pod;
    const blocked = (reason: string, message: string): StartBlocked => ({ reason, message });
    try {
      const volumes = this.volumeDirectories();
      if (typeof volumes === "string") return blocked("ContainerCreating", volumes);
      const mounts: Mount[] = (container.volumeMounts ?? []).map((m) => {
        const hostPath = path.join(volumes.get(m.name) ?? "", m.subPath ?? "");
        fs.mkdirSync(hostPath, { recursive: true });
        return { containerPath: m.mountPath, hostPath };
      });
      const image = this.deps.images.find((i) => i.matches(container.image ?? ""));
      if (image === undefined) {
        return blocked(
          "ErrImagePull",
          `the process kubelet has no binary for image ${container.image}`,
        );
      }
      if (!this.deps.ownHostsEntryWritten(pod, this.ip ?? "")) {
        return blocked("ContainerCreating", "the pod's own hosts entry is not written yet");
      }
      const probeProblem = unsupportedProbe(container);
      if (probeProblem !== undefined) return blocked("RunContainerError", probeProblem);
      const namespace = pod.metadata?.namespace ?? "default";
      const addresses = { podIP: this.ip ?? "", hostIP: this.deps.hostIP };
      const links = serviceEnvironment(
        this.deps.services(),
        namespace,
        pod.spec?.enableServiceLinks ?? true,
      );
      const env = resolveEnvironment(pod, container, this.deps.config, links, addresses);
      const rootfs = path.join(this.deps.podDir, "rootfs", container.name);
      return planLaunch({ pod, container, image, env, mounts, podIP: addresses.podIP, rootfs });
    } catch (error) {
      if (error instanceof ContainerConfigError || error instanceof RunContainerError) {
        return blocked(error.reason, error.message);
      }
      throw error;
    }
  }

  /** Directory per pod volume, with fsGroup applied; or why the volumes are not ready. */
  private volumeDirectories(): Map<string, string> | string {
    const pod = this.pod;
    const namespace = pod.metadata?.namespace ?? "default";
    const security = pod.spec?.securityContext;
    const directories = new Map<string, string>();
    for (const volume of pod.spec?.volumes ?? []) {
      let directory: string | undefined;
      if (volume.persistentVolumeClaim !== undefined) {
        directory = this.deps.claimDirectory(namespace, volume.persistentVolumeClaim.claimName);
        if (directory === undefined) {
          return `volume "${volume.name}": persistentvolumeclaim "${volume.persistentVolumeClaim.claimName}" is not bound to a volume of this node`;
        }
      } else if (volume.emptyDir !== undefined) {
        directory = path.join(this.deps.podDir, "volumes", volume.name);
        fs.mkdirSync(directory, { recursive: true, mode: 0o755 });
      } else if (volume.secret !== undefined) {
        directory = this.secretDirectory(volume.name);
        const secret = this.deps.config.secret(namespace, volume.secret.secretName ?? "");
        const problem = writeSecretVolume(directory, volume.secret, secret, security?.fsGroup);
        if (problem !== undefined) return `volume "${volume.name}": ${problem}`;
        directories.set(volume.name, directory);
        continue;
      } else {
        return `volume "${volume.name}": the process kubelet mounts only persistentVolumeClaim, emptyDir and secret volumes`;
      }
      if (security?.fsGroup !== undefined) {
        applyFsGroup(directory, security.fsGroup, security.fsGroupChangePolicy ?? "Always");
      }
      directories.set(volume.name, directory);
    }
    return directories;
  }

  private secretDirectory(volume: string): string {
    return path.join(this.deps.podDir, "volumes", volume);
  }

  /**
   * Like the kubelet's periodic sync: the files of mounted secret volumes follow their Secret
   * (a Secret that disappeared leaves the last content in place). Only volumes already set up.
   */
  private refreshSecretVolumes(): void {
    const namespace = this.pod.metadata?.namespace ?? "default";
    for (const volume of this.pod.spec?.volumes ?? []) {
      const directory = this.secretDirectory(volume.name);
      if (volume.secret === undefined || !fs.existsSync(directory)) continue;
      const secret = this.deps.config.secret(namespace, volume.secret.secretName ?? "");
      if (secret) {
        writeSecretVolume(
          directory,
          volume.secret,
          secret,
          this.pod.spec?.securityContext?.fsGroup,
        );
      }
    }
  }

  private requestStatus(): void {
    this.statusDirty = true;
    if (!this.statusWriting && !this.detached) void this.flushStatus();
  }

  private async flushStatus(): Promise<void> {
    this.statusWriting = true;
    try {
      while (this.statusDirty && this.ip !== undefined && !this.detached) {
        this.statusDirty = false;
        if (!(await this.writeStatus())) {
          setTimeout(() => this.requestStatus(), this.deps.retryMs);
          return;
        }
      }
    } finally {
      this.statusWriting = false;
    }
  }

  /** False when the write failed and should be retried later. */
  private async writeStatus(): Promise<boolean> {
    const meta = this.pod.metadata ?? {};
    const status = podStatus({
      pod: this.pod,
      podIP: this.ip ?? "",
      hostIP: this.deps.hostIP,
      startTime: this.startTime,
      containers: this.runners.map((r) => r.status()),
      now: new Date(),
    });
    try {
      // The uid makes the patch a precondition: never write onto a newer pod of the same name.
      const body = { metadata: { uid: meta.uid }, status };
      this.pod = await this.deps.core.patchNamespacedPodStatus(
        { name: meta.name!, namespace: meta.namespace!, body },
        mergePatch,
      );
      return true;
    } catch (error) {
      if (code(error) === 404 || code(error) === 409) return true;
      console.error(
        `process-kubelet: status of pod ${meta.namespace}/${meta.name}: ${(error as Error).message}`,
      );
      this.statusDirty = true;
      return false;
    }
  }

  /**
   * Stops every container (SIGTERM, SIGKILL after `graceMs`). With `complete`, reports the final
   * status and deletes the pod object for good (grace 0, for this uid only), as the kubelet does
   * once a deleted pod's containers are gone; without it (the kubelet itself stops) the API is not
   * touched. Idempotent.
   */
  terminate(graceMs: number, complete: boolean): Promise<void> {
    this.terminating ??= (async () => {
      this.detached = !complete;
      clearTimeout(this.timer);
      await Promise.all(this.runners.map((r) => r.stop(graceMs)));
      if (complete) {
        await this.flushStatus();
        const meta = this.pod.metadata ?? {};
        try {
          await this.deps.core.deleteNamespacedPod({
            name: meta.name!,
            namespace: meta.namespace!,
            gracePeriodSeconds: 0,
            body: { gracePeriodSeconds: 0, preconditions: { uid: meta.uid } },
          });
        } catch (error) {
          if (code(error) !== 404 && code(error) !== 409) throw error;
        }
      }
      if (this.ip !== undefined) this.deps.releaseIP(this.ip);
      fs.rmSync(path.join(this.deps.podDir, "volumes"), { recursive: true, force: true });
      fs.rmSync(path.join(this.deps.podDir, "rootfs"), { recursive: true, force: true });
    })();
    return this.terminating;
  }
}
