/** The processes a process started, from /proc (Linux). */
import * as fs from "node:fs";

/** Direct children of `pid`. */
export function childProcesses(pid: number): number[] {
  try {
    // One read where the kernel offers it (CONFIG_PROC_CHILDREN); else, or if it lists none, a
    // scan of every process.
    const listed = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
    if (listed !== "") return listed.split(" ").map(Number);
  } catch {
    // Not offered here: scan.
  }
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
