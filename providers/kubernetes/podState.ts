/**
 * Pure mapping from Kubernetes pods to the reconciler's `PodState`, and from object names to the
 * ordinals they belong to. No API calls here.
 */
import type {
  V1ContainerStateTerminated,
  V1ContainerStatus,
  V1LabelSelector,
  V1Pod,
} from "@kubernetes/client-node";
import { VOTER_LABEL } from "../../model/naming";
import type { PodState } from "../membership/types";

/**
 * The ordinal in `<prefix><ordinal>` (e.g. `etcd-2` with prefix `etcd-`), or undefined when the
 * name is not of that shape. Leading zeros are refused: the StatefulSet never writes them, and
 * accepting them would map two names to one ordinal.
 */
export function ordinalOf(name: string, prefix: string): number | undefined {
  if (!name.startsWith(prefix)) return undefined;
  const rest = name.slice(prefix.length);
  return /^(0|[1-9][0-9]{0,8})$/.test(rest) ? Number(rest) : undefined;
}

/** The label selector query string (`a=b,c in (d,e),!f`) of a StatefulSet's `spec.selector`. */
export function labelSelectorQuery(selector: V1LabelSelector): string {
  const terms = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    switch (operator) {
      case "In":
        terms.push(`${key} in (${values.join(",")})`);
        break;
      case "NotIn":
        terms.push(`${key} notin (${values.join(",")})`);
        break;
      case "Exists":
        terms.push(key);
        break;
      case "DoesNotExist":
        terms.push(`!${key}`);
        break;
      default:
        throw new Error(
          `label selector: operator ${JSON.stringify(operator)} of key ${JSON.stringify(key)} is not one of In, NotIn, Exists, DoesNotExist`,
        );
    }
  }
  return terms.join(",");
}

/** Waiting reasons that are part of a normal start, not a problem worth reporting. */
const ROUTINE_WAITING_REASONS = ["ContainerCreating", "PodInitializing"];

/** Termination messages can hold many log lines; the last non-empty one is the fatal error. */
function lastLine(text: string): string {
  const lines = text.split("\n").filter((line) => line.trim() !== "");
  const line = lines.length > 0 ? lines[lines.length - 1].trim() : "";
  return line.length > 500 ? `${line.slice(0, 500)}...` : line;
}

function describeExit(t: V1ContainerStateTerminated): string {
  const details = [t.reason, t.signal ? `signal ${t.signal}` : undefined]
    .filter(Boolean)
    .join(", ");
  const message = t.message ? lastLine(t.message) : "";
  return `exited with code ${t.exitCode}${details ? ` (${details})` : ""}${message ? `: ${message}` : ""}`;
}

/** Why one container is not running or last stopped, or undefined when there is nothing to tell. */
function containerTrouble(status: V1ContainerStatus): string | undefined {
  const waiting = status.state?.waiting;
  const lastExit = status.lastState?.terminated ?? status.state?.terminated;
  const exit = lastExit ? describeExit(lastExit) : undefined;
  if (waiting?.reason && !ROUTINE_WAITING_REASONS.includes(waiting.reason)) {
    const why = `${waiting.reason}${waiting.message ? `: ${lastLine(waiting.message)}` : ""}`;
    return exit ? `${why}; last ${exit}` : why;
  }
  return exit;
}

/** The container runs or ran: a process may have written to the volume. */
const hasRun = (s: V1ContainerStatus): boolean =>
  s.state?.running !== undefined ||
  s.state?.terminated !== undefined ||
  s.lastState?.terminated !== undefined;

/** Why the pod itself cannot run: evicted, or not schedulable. */
function podTrouble(pod: V1Pod): string | undefined {
  if (pod.status?.reason) {
    return `${pod.status.reason}${pod.status.message ? `: ${pod.status.message}` : ""}`;
  }
  const scheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled");
  if (scheduled?.status === "False") {
    return `${scheduled.reason ?? "not scheduled"}${scheduled.message ? `: ${scheduled.message}` : ""}`;
  }
  return undefined;
}

/**
 * The reconciler's view of one pod. `running` means every container runs; `terminating` wins over
 * everything once the pod has a deletionTimestamp; `ready` is the pod's Ready condition.
 */
export function podStateOf(pod: V1Pod, ordinal: number): PodState {
  const statuses = pod.status?.containerStatuses ?? [];
  const allRunning = statuses.length > 0 && statuses.every((s) => s.state?.running !== undefined);
  const phase = pod.metadata?.deletionTimestamp
    ? "terminating"
    : allRunning
      ? "running"
      : "waiting";
  const ready = pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True");
  const troubles = statuses.flatMap((s) => {
    const trouble = containerTrouble(s);
    if (trouble === undefined) return [];
    return [statuses.length > 1 ? `container ${s.name}: ${trouble}` : trouble];
  });
  const podLevel = podTrouble(pod);
  const lastTermination = [...(podLevel ? [podLevel] : []), ...troubles].join("; ");
  const restarts = statuses.reduce((sum, s) => sum + s.restartCount, 0);
  const created = pod.metadata?.creationTimestamp;
  return {
    ordinal,
    name: pod.metadata?.name ?? "",
    phase,
    ready: ready === true,
    restarts,
    started: restarts > 0 || statuses.some(hasRun),
    voterLabel: pod.metadata?.labels?.[VOTER_LABEL] === "true",
    ...(created === undefined
      ? {}
      : { createdAt: new Date(created as unknown as string).getTime() }),
    ...(lastTermination ? { lastTermination } : {}),
  };
}
