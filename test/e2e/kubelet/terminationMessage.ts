/**
 * The message of a terminated container, following its terminationMessagePolicy as the kubelet
 * does (pkg/kubelet/kuberuntime/kuberuntime_container.go, convertToKubeContainerStatus):
 * - the message the application wrote to its terminationMessagePath comes first
 *   (getTerminationMessage). No process here can write /dev/termination-log (there is no mount
 *   namespace to put a file there), so that message is always empty;
 * - with `FallbackToLogsOnError`, a container that exited with a code other than 0 and left no such
 *   message gets the tail of its log instead: at most the last 80 lines, of which at most the last
 *   2048 bytes (readLastStringFromContainerLogs; MaxContainerTerminationMessageLogLines and
 *   MaxContainerTerminationMessageLogLength in pkg/kubelet/container/runtime.go). With `File`, the
 *   default, the log is never read, so here there is no message at all;
 * - the runtime's own message (here: why the process could not be started) comes before it,
 *   joined by ": ".
 */
import * as fs from "node:fs";

export const TERMINATION_MESSAGE_LOG_LINES = 80;
export const TERMINATION_MESSAGE_LOG_BYTES = 2048;

export interface TerminatedContainer {
  /** The container's terminationMessagePolicy; the API server defaults it to `File`. */
  policy: string | undefined;
  exitCode: number;
  /** The runtime's message, e.g. the spawn error of a process that could not start. */
  runtimeMessage?: string;
  logFile: string;
}

export function terminationMessage(container: TerminatedContainer): string | undefined {
  // The kubelet skips the logs only for Docker's "ContainerCannotRun", which a process never gets.
  const fallbackToLogs = container.policy === "FallbackToLogsOnError" && container.exitCode !== 0;
  const fromLogs = fallbackToLogs ? logTail(container.logFile) : "";
  const message = [container.runtimeMessage ?? "", fromLogs].filter((m) => m !== "").join(": ");
  return message === "" ? undefined : message;
}

/**
 * What the kubelet's log read returns for TailLines 80 into a 2048-byte ring buffer: everything
 * after the 81st line break from the end (an unterminated last line does not count as a line,
 * cri-client pkg/logs/tail.go findTailLineStartIndex), of which the last 2048 bytes. Both limits
 * fall inside the file's last 2048 bytes, so only those are read.
 */
export function logTail(logFile: string): string {
  let fd: number;
  try {
    fd = fs.openSync(logFile, "r");
  } catch {
    return "";
  }
  try {
    const size = fs.fstatSync(fd).size;
    const length = Math.min(size, TERMINATION_MESSAGE_LOG_BYTES);
    const window = Buffer.alloc(length);
    fs.readSync(fd, window, 0, length, size - length);
    const breaks: number[] = [];
    for (let i = window.indexOf(0x0a); i !== -1; i = window.indexOf(0x0a, i + 1)) breaks.push(i);
    const excess = breaks.length - TERMINATION_MESSAGE_LOG_LINES;
    const start = excess > 0 ? breaks[excess - 1] + 1 : 0;
    return window.subarray(start).toString("utf8");
  } finally {
    fs.closeSync(fd);
  }
}
