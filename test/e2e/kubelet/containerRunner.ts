/**
 * One container of a pod, across its restarts: starts the process, runs its probes, records its
 * state the way the kubelet reports it (waiting / running / terminated, restartCount, lastState)
 * and restarts it after an exit as restartPolicy says, with the kubelet's crash-loop back-off:
 * the first restart at once, then waits of 10 s, 20 s, 40 s ... up to 5 minutes, forgotten once
 * the container has run for twice the cap without exiting.
 */
import type * as k8s from "@kubernetes/client-node";
import { ExponentialBackoff, type IBackoff, noJitterGenerator } from "cockatiel";
import * as fs from "node:fs";
import * as path from "node:path";
import { type ExitInfo, ManagedProcess } from "../support/processes";
import type { Launch } from "./launch";
import { ProbeWorker } from "./probes";
import { terminationMessage } from "./terminationMessage";

export interface CrashLoopBackoff {
  initialMs: number;
  maxMs: number;
}

export const KUBELET_CRASH_LOOP_BACKOFF: CrashLoopBackoff = { initialMs: 10_000, maxMs: 300_000 };

/** Why a container cannot start yet: it keeps waiting with this reason and is retried. */
export interface StartBlocked {
  reason: string;
  message: string;
}

export interface RunnerContext {
  container: k8s.V1Container;
  podIP: () => string;
  restartPolicy: string;
  /** The pod's terminationGracePeriodSeconds, in milliseconds. */
  terminationGraceMs: number;
  logsDir: string;
  backoff: CrashLoopBackoff;
  /** Resolves the launch, or says why the container must keep waiting. */
  prepare: () => Launch | StartBlocked;
  /** Something in the reported status changed. */
  onChange: () => void;
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = {
  SIGKILL: 9,
  SIGTERM: 15,
  SIGINT: 2,
};

export class ContainerRunner {
  private state: k8s.V1ContainerState = { waiting: { reason: "ContainerCreating" } };
  private lastState: k8s.V1ContainerState = {};
  private restartCount = 0;
  private ready = false;
  private started = false;
  private process: ManagedProcess | undefined;
  private probes: ProbeWorker[] = [];
  private crashBackoff: { backoff: IBackoff<unknown>; lastUpdate: number } | undefined;
  private restartAt = 0;
  private stopping = false;

  constructor(private readonly ctx: RunnerContext) {}

  get name(): string {
    return this.ctx.container.name;
  }

  /** The pid of the process running now, if any. */
  get pid(): number | undefined {
    return this.process?.pid;
  }

  /**
   * Fault injection: SIGSTOP freezes the running process (a restarted one is not frozen),
   * SIGCONT lets it go on. Nothing in the status changes; only probes can notice. Returns the pid
   * signalled, if a process runs.
   */
  jobControl(signal: "SIGSTOP" | "SIGCONT"): number | undefined {
    this.process?.signal(signal);
    return this.process?.pid;
  }

  /** Milliseconds until a restart is due (0: now), or undefined when nothing is pending. */
  get restartDueInMs(): number | undefined {
    if (this.stopping || this.process !== undefined || this.state.terminated) return undefined;
    return Math.max(0, this.restartAt - Date.now());
  }

  status(): k8s.V1ContainerStatus {
    return {
      name: this.name,
      image: this.ctx.container.image ?? "",
      imageID: this.ctx.container.image ?? "",
      containerID: this.process?.pid !== undefined ? `process://${this.process.pid}` : undefined,
      ready: this.ready,
      started: this.started,
      restartCount: this.restartCount,
      state: this.state,
      lastState: this.lastState,
    };
  }

  /** Starts the container if it is not running and no back-off is pending. */
  sync(): void {
    if (this.restartDueInMs !== 0) return;
    const launch = this.ctx.prepare();
    if (!("executable" in launch)) {
      this.setWaiting(launch.reason, launch.message);
      return;
    }
    this.start(launch);
  }

  private setWaiting(reason: string, message?: string): void {
    const waiting = this.state.waiting;
    if (waiting?.reason === reason && waiting.message === message) return;
    this.state = { waiting: { reason, message } };
    this.ctx.onChange();
  }

  private nextBackoff(now: number): void {
    const expired =
      this.crashBackoff === undefined ||
      now - this.crashBackoff.lastUpdate > 2 * this.ctx.backoff.maxMs;
    const backoff = expired
      ? new ExponentialBackoff({
          generator: noJitterGenerator,
          initialDelay: this.ctx.backoff.initialMs,
          maxDelay: this.ctx.backoff.maxMs,
        }).next()
      : this.crashBackoff!.backoff.next(undefined);
    this.crashBackoff = { backoff, lastUpdate: now };
  }

  private start(launch: Launch): void {
    // Like the kubelet, the back-off is consulted only for restarts: the first restart is immediate.
    if (this.restartCount > 0) this.nextBackoff(Date.now());
    fs.mkdirSync(launch.cwd, { recursive: true });
    const logFile = path.join(this.ctx.logsDir, `${this.restartCount}.log`);
    const child = ManagedProcess.start({
      name: this.name,
      command: launch.executable,
      args: launch.args,
      env: launch.env,
      cwd: launch.cwd,
      uid: launch.uid,
      gid: launch.gid,
      logFile,
    });
    const startedAt = new Date();
    this.process = child;
    this.state = { running: { startedAt } };
    this.ready = false;
    this.started = this.ctx.container.startupProbe === undefined;
    this.startProbes();
    this.ctx.onChange();
    void child.exited.then((info) => this.exited(child, info, startedAt, logFile));
  }

  private startProbes(): void {
    const { container } = this.ctx;
    const podIP = this.ctx.podIP();
    const afterStartup = () => {
      this.started = true;
      if (container.readinessProbe === undefined) this.ready = true;
      this.ctx.onChange();
      if (container.livenessProbe) {
        const probe = container.livenessProbe;
        this.probe(
          new ProbeWorker("liveness", probe, container, podIP, (ok) => {
            if (!ok) this.kill(probe);
          }),
        );
      }
      if (container.readinessProbe) {
        this.probe(
          new ProbeWorker("readiness", container.readinessProbe, container, podIP, (ok) => {
            this.ready = ok;
            this.ctx.onChange();
          }),
        );
      }
    };
    if (container.startupProbe === undefined) return afterStartup();
    const startup = container.startupProbe;
    this.probe(
      new ProbeWorker("startup", startup, container, podIP, (ok) => {
        this.stopProbes();
        if (ok) afterStartup();
        else this.kill(startup);
      }),
    );
  }

  private probe(worker: ProbeWorker): void {
    this.probes.push(worker);
    worker.start();
  }

  private stopProbes(): void {
    for (const worker of this.probes) worker.stop();
    this.probes = [];
  }

  /** A failed liveness or startup probe: the container is killed and restarted. */
  private kill(probe: k8s.V1Probe): void {
    this.stopProbes();
    const seconds = probe.terminationGracePeriodSeconds;
    void this.stopProcess(seconds !== undefined ? seconds * 1000 : this.ctx.terminationGraceMs);
  }

  /**
   * SIGTERM, then SIGKILL after `graceMs`. A process paused with SIGSTOP would hold SIGTERM
   * pending until continued, and only SIGKILL would end it, at the end of the grace period; it is
   * continued first so that it shuts down as it would have unpaused.
   */
  private async stopProcess(graceMs: number): Promise<void> {
    this.process?.signal("SIGCONT");
    await this.process?.stop(graceMs);
  }

  private exited(child: ManagedProcess, info: ExitInfo, startedAt: Date, logFile: string): void {
    if (this.process !== child) return;
    this.process = undefined;
    this.stopProbes();
    this.ready = false;
    this.started = false;
    const exitCode =
      info.error !== undefined ? 128 : (info.code ?? 128 + (SIGNAL_NUMBERS[info.signal!] ?? 0));
    const terminated: k8s.V1ContainerStateTerminated = {
      exitCode,
      signal: info.signal !== null ? SIGNAL_NUMBERS[info.signal] : undefined,
      reason: info.error !== undefined ? "StartError" : exitCode === 0 ? "Completed" : "Error",
      message: terminationMessage({
        policy: this.ctx.container.terminationMessagePolicy,
        exitCode,
        runtimeMessage: info.error?.message,
        logFile,
      }),
      startedAt,
      finishedAt: new Date(),
      containerID: `process://${child.pid}`,
    };
    const policy = this.ctx.restartPolicy;
    const restart =
      !this.stopping && (policy === "Always" || (policy === "OnFailure" && exitCode !== 0));
    if (!restart) {
      this.state = { terminated };
      this.ctx.onChange();
      return;
    }
    this.lastState = { terminated };
    this.restartCount++;
    const now = Date.now();
    const inBackoff =
      this.crashBackoff !== undefined &&
      now - this.crashBackoff.lastUpdate <= 2 * this.ctx.backoff.maxMs;
    const waitMs = inBackoff ? this.crashBackoff!.backoff.duration : 0;
    this.restartAt = now + waitMs;
    this.state = {
      waiting: {
        reason: "CrashLoopBackOff",
        message: `back-off ${Math.round(waitMs / 1000)}s restarting failed container=${this.name}`,
      },
    };
    this.ctx.onChange();
  }

  /** Stops for good (the pod is being deleted or the kubelet stops): SIGTERM, then SIGKILL. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.stopProbes();
    await this.stopProcess(graceMs);
  }
}
