/**
 * `npm run bench -- soak`: cycles the size 1→3→5→3→1 on local etcd 3.5 processes while a client
 * writes without pause through member 0 (the one member every size keeps), then reads back every
 * acknowledged write. Reports cycles done, writes acknowledged and lost, and the longest time
 * without an acknowledged write per scale step and per kind of provider step. Prints figures only.
 * Bounded by SOAK_CYCLES (default 3) and SOAK_MINUTES (default 10, checked between cycles).
 */
import { reconcile } from "../../providers/membership/reconciler";
import type { Step } from "../../providers/membership/steps";
import { dataClient, localCluster } from "../harness/localCluster";
import { testGoal } from "../provider/scenario";
import { ContinuousWriter } from "../harness/writer";
import { formatTable } from "../support/table";
import { countSetting } from "./settings";

const SIZES = [3, 5, 3, 1];

interface Window {
  label: string;
  from: number;
  to: number;
}

/** The longest gap of each label, with how many windows had it. */
function worst(writer: ContinuousWriter, windows: Window[]): string[][] {
  const byLabel = new Map<string, { max: number; count: number }>();
  for (const w of windows) {
    const gap = writer.longestGap(w.from, w.to);
    const seen = byLabel.get(w.label) ?? { max: 0, count: 0 };
    byLabel.set(w.label, { max: Math.max(seen.max, gap), count: seen.count + 1 });
  }
  return [...byLabel].map(([label, { max, count }]) => [
    label,
    String(count),
    `${max.toFixed(0)} ms`,
  ]);
}

async function readBack(url: string, written: Map<string, string>): Promise<number> {
  const client = dataClient([url]);
  try {
    const stored = await client.getAll().prefix("soak/").strings();
    return [...written].filter(([key, value]) => stored[key] !== value).length;
  } finally {
    client.close();
  }
}

export async function soak(): Promise<void> {
  const cycles = countSetting("SOAK_CYCLES", 3);
  const budgetMs = countSetting("SOAK_MINUTES", 10) * 60_000;
  const c = localCluster("soak", "127.5.3", "3.5");
  const url = `http://${c.workload.ip(0)}:2379`;
  const quiet = { log: () => {} };
  let writer: ContinuousWriter | undefined;
  const transitions: Window[] = [];
  const steps: Window[] = [];
  let done = 0;
  const started = performance.now();
  try {
    await reconcile(c.workload, testGoal(1, "Delete"), quiet);
    writer = new ContinuousWriter([url], "soak");
    let size = 1;
    while (done < cycles && performance.now() - started < budgetMs) {
      for (const next of SIZES) {
        let current: { step: Step; from: number } | undefined;
        const close = () => {
          if (current)
            steps.push({ label: current.step.kind, from: current.from, to: performance.now() });
        };
        const from = performance.now();
        await reconcile(c.workload, testGoal(next, "Delete"), {
          ...quiet,
          onStepBoundary: (step) => {
            close();
            current = { step, from: performance.now() };
          },
        });
        close();
        transitions.push({ label: `${size}→${next}`, from, to: performance.now() });
        size = next;
      }
      done++;
    }
    await writer.stop();
    const lost = await readBack(url, writer.acknowledged);
    const minutes = ((performance.now() - started) / 60_000).toFixed(1);
    console.log(`Soak (etcd 3.5, local processes, writes through member 0): ${minutes} min`);
    const totals = [
      `${done} of 1→3→5→3→1`,
      String(writer.acknowledged.size),
      String(writer.failed),
      String(lost),
    ];
    console.log(
      formatTable(
        ["cycles done", "writes acknowledged", "not acknowledged", "acknowledged writes lost"],
        [totals],
      ).join("\n"),
    );
    console.log("Longest time without an acknowledged write, per scale step:");
    console.log(
      formatTable(["scale step", "times", "longest"], worst(writer, transitions)).join("\n"),
    );
    console.log("... within each kind of provider step (gaps cut at the step's start and end):");
    console.log(
      formatTable(["provider step", "times", "longest"], worst(writer, steps)).join("\n"),
    );
  } finally {
    await writer?.stop();
    await c.dispose();
  }
}
