/**
 * One `up` (or anything that changes the cluster) under watch: the voter monitor samples for its
 * whole duration, the continuous writer gets a new client right after it and its counts for the step
 * are printed (acknowledged, failed, longest gap), and the monitor's
 * verdict is printed and enforced (no voter without its pod beyond the step that removes it).
 * A run that fails still ends the watch; its error is passed on after the verdict.
 */
import * as assert from "node:assert/strict";
import type { ClusterWriter, PhaseCounts } from "./clusterWriter";
import { seconds } from "./times";
import { type MonitorReport, type VoterMonitor, describeViolation } from "./voterMonitor";

export interface Watch {
  monitor: VoterMonitor;
  /** Absent while there is no cluster to write to. */
  writer?: ClusterWriter;
  /** Every verdict so far, for the scenario's summary. */
  reports: MonitorReport[];
}

export function printReport(report: MonitorReport): void {
  console.log(
    `[monitor] ${report.label}: ${report.samples} samples (${report.withMembers} with a member list)` +
      (report.excused.length > 0
        ? `; voters without a pod until removed in the same run: ${report.excused.map(describeViolation).join("; ")}`
        : "") +
      (report.violations.length > 0
        ? `; VIOLATIONS: ${report.violations.map(describeViolation).join("; ")}`
        : "; no violation"),
  );
}

function printPhase(phase: PhaseCounts): void {
  console.log(
    `[writer] ${phase.label}: ${phase.acknowledged} writes acknowledged, ${phase.failed} failed; ` +
      `longest gap ${seconds(phase.longestGapMs)}`,
  );
}

export async function watched<T>(watch: Watch, label: string, run: () => Promise<T>): Promise<T> {
  watch.monitor.start(label);
  watch.writer?.beginPhase(label);
  let outcome: { value: T } | { error: unknown };
  try {
    outcome = { value: await run() };
  } catch (error) {
    outcome = { error };
  }
  const report = await watch.monitor.stop();
  watch.reports.push(report);
  printReport(report);
  await watch.writer?.refresh();
  const phase = watch.writer?.beginPhase(`after ${label}`);
  if (phase) printPhase(phase);
  assert.deepEqual(
    report.violations.map(describeViolation),
    [],
    `${label}: no voter may be without its pod beyond the step that removes it`,
  );
  if ("error" in outcome) throw outcome.error;
  return outcome.value;
}
