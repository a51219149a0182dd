/**
 * Records one scale step for the breakdown: every CLI line stamped as it arrives, and the pods'
 * stages (PodMilestones). `begin` before `pulumi up`, `exited` when it returns, `times` once the
 * cluster has settled.
 */
import type { StepTimes } from "./breakdown";
import { cliEvents, type TimedLine } from "./cliEvents";
import type { PodMilestones } from "./podMilestones";

export class StepRecorder {
  private lines: TimedLine[] = [];
  private startedAt = 0;
  private exitedAt = 0;

  constructor(private readonly pods: PodMilestones) {}

  /** For the stack's `onLine`. */
  readonly onLine = (line: string): void => {
    this.lines.push({ at: Date.now(), line });
  };

  begin(): void {
    this.lines = [];
    this.pods.reset();
    this.startedAt = Date.now();
  }

  exited(): void {
    this.exitedAt = Date.now();
  }

  /** The step's times; `podNames` are the pods of the settled cluster, Ready by now. */
  times(podNames: string[]): StepTimes {
    const pods = this.pods.snapshot();
    const readyTimes = podNames.map((name) => pods.get(name)?.ready ?? this.exitedAt);
    return {
      startedAt: this.startedAt,
      exitedAt: this.exitedAt,
      readyAt: Math.max(this.exitedAt, ...readyTimes),
      events: cliEvents(this.lines),
      pods,
    };
  }
}
