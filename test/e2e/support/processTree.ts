/** The processes a process started, from /proc (Linux). */
import * as fs from "node:fs";

/**
 * Direct children of `pid`. Each thread lists the children it forked: a Go program such as the
 * Pulumi CLI starts its plugins from whichever thread runs the goroutine, so every thread is read.
 * Where the kernel offers no such lists (CONFIG_PROC_CHILDREN), every process is scanned.
 */
export function childProcesses(pid: number): number[] {
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
