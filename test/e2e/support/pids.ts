/**
 * Processes by pid, from /proc (Linux): the ones a process started, what they run, whether they
 * still do, and signals to them. One implementation for the kills the tests make: a whole `pulumi`
 * run's tree, a leftover plugin or provider, a managed server.
 */
import * as fs from "node:fs";

/**
 * Direct children of `pid`. Each thread lists the children it forked: a Go program such as the
 * Pulumi CLI starts its plugins from whichever thread runs the goroutine, so every thread is read.
 * Where the kernel offers no such lists (CONFIG_PROC_CHILDREN), every process is scanned.
 */
function childProcesses(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const children = new Set<number>();
  let listed = false;
  for (const task of tasks) {
    try {
      const text = fs.readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      listed = true;
      for (const child of text.split(" ").filter(Boolean)) children.add(Number(child));
    } catch {
      // The thread exited, or the kernel does not offer the list.
    }
  }
  return listed ? [...children] : scanForChildren(pid);
}

function scanForChildren(pid: number): number[] {
  const children: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      // Exited while we looked.
    }
  }
  return children;
}

/** Every process below `pid`, children before their own children. */
export function descendants(pid: number): number[] {
  const found: number[] = [];
  for (let queue = [pid]; queue.length > 0;) {
    const children = childProcesses(queue.shift()!);
    found.push(...children);
    queue.push(...children);
  }
  return found;
}

/** The command line of `pid`, arguments joined by spaces; empty once it is gone. */
export function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}

/** The state letter of /proc/<pid>/stat (T: stopped by a signal, Z: a zombie); throws once gone. */
export function processState(pid: number): string {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const end = stat.lastIndexOf(")");
  return stat.slice(end + 2, end + 3);
}

/** Whether `pid` is a live process: a zombie (exited, not yet reaped) counts as gone. */
export function processRuns(pid: number): boolean {
  try {
    const state = processState(pid);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** Sends `signal` to `pid`, unless it is gone already (a kill that finds no process is done). */
export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}
