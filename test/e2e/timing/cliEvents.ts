/**
 * What a `pulumi up` printed, read as timed events: each line is stamped when it arrived (the CLI
 * prints a resource's row as the engine reports it), which gives millisecond times the CLI itself
 * does not print. Pure.
 */
import { PROGRESS_MARK } from "../pulumi/output";

export interface TimedLine {
  at: number;
  line: string;
}

export type CliEvent =
  /** `Updating (…)`: the preview that `up` runs first is over, the update starts. */
  | { at: number; kind: "update-start" }
  | {
      at: number;
      kind: "resource";
      /** e.g. `kubernetes:apps/v1:StatefulSet etcd`. */
      resource: string;
      phase: "start" | "end";
    }
  /** A progress line of the membership provider, the first time it was printed. */
  | { at: number; kind: "provider-step"; text: string }
  /** The update's last line before its summary. */
  | { at: number; kind: "update-end" };

const RESOURCE_ROW =
  /^\s*(?:\+-|[+~-])\s+(\S+) (\S+) (creating|updating|deleting|replacing|created|updated|deleted|replaced)\b/;

/** The events of one `up`, in the order they arrived. */
export function cliEvents(lines: TimedLine[]): CliEvent[] {
  const events: CliEvent[] = [];
  const started = new Set<string>();
  const ended = new Set<string>();
  let updating = false;
  let lastStep = "";
  for (const { at, line } of lines) {
    if (/^(Updating|Destroying) \(/.test(line)) {
      updating = true;
      events.push({ at, kind: "update-start" });
      continue;
    }
    if (!updating) continue;
    if (/^(Diagnostics|Outputs|Resources):/.test(line)) {
      events.push({ at, kind: "update-end" });
      break;
    }
    const row = RESOURCE_ROW.exec(line);
    if (row) {
      const resource = `${row[1]} ${row[2]}`;
      const ing = row[3]!.endsWith("ing");
      if (ing && !started.has(resource)) {
        started.add(resource);
        events.push({ at, kind: "resource", resource, phase: "start" });
      } else if (!ing && !ended.has(resource)) {
        ended.add(resource);
        events.push({ at, kind: "resource", resource, phase: "end" });
      }
    }
    const mark = line.indexOf(PROGRESS_MARK);
    if (mark >= 0) {
      const text = line.slice(mark + PROGRESS_MARK.length);
      if (text !== lastStep) events.push({ at, kind: "provider-step", text });
      lastStep = text;
    }
  }
  return events;
}
