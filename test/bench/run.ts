/**
 * `npm run bench`: on local etcd 3.5 processes, the provider's time per scale step against the raw
 * minimum (the same etcd operations scripted directly), learner catch-up over a seeded data set,
 * and the cost of check + diff. `npm run bench -- soak` runs the soak instead (see soak.ts), and
 * `npm run bench -- e2e` scale steps through the Pulumi CLI, phase by phase (see e2e.ts).
 * Prints figures; asserts nothing.
 */
import { EtcdAdmin } from "../../providers/etcd/admin";
import { createMembershipProvider } from "../../providers/membership/provider";
import { type StepRecord, reconcile } from "../../providers/membership/reconciler";
import { type LocalCluster, dataClient, localCluster } from "../harness/localCluster";
import { localWorkloadFactory } from "../harness/localWorkload";
import { testGoal } from "../provider/scenario";
import { median } from "../support/median";
import { formatTable } from "../support/table";
import { e2eBench } from "./e2e";
import { RawScaler } from "./raw";
import { countSetting } from "./settings";
import { soak } from "./soak";

const quiet = { log: () => {} };

const ms = (n: number) => `${n.toFixed(0)} ms`;

async function timed<T>(work: () => Promise<T>): Promise<[number, T]> {
  const start = performance.now();
  const result = await work();
  return [performance.now() - start, result];
}

async function rawTransition(raw: RawScaler, from: number, to: number): Promise<void> {
  if (from === 0) return raw.bootstrap();
  for (let k = from; k < to; k++) await raw.grow(k, await raw.leader(k));
  for (let m = from - 1; m >= to; m--) await raw.shrink(m);
}

const TRANSITIONS: Array<[number, number]> = [
  [0, 1],
  [1, 3],
  [3, 5],
  [5, 3],
  [3, 1],
];

interface StepTimes {
  providerMs: number;
  rawMs: number;
  steps: StepRecord[];
}

/** One pass through `transitions` on two fresh clusters, the provider's and the raw script's. */
async function scalePass(
  round: number,
  transitions: ReadonlyArray<[number, number]>,
): Promise<StepTimes[]> {
  const p = localCluster(`bp${round}`, "127.0.90", "3.5");
  const r = localCluster(`br${round}`, "127.0.91", "3.5");
  const raw = new RawScaler(r.workload);
  const times: StepTimes[] = [];
  try {
    for (const [from, to] of transitions) {
      const goal = testGoal(to, "Delete");
      // Side by side, so both clusters meet etcd's post-join refusal window at the same moments.
      const [[providerMs, result], [rawMs]] = await Promise.all([
        timed(() => reconcile(p.workload, goal, quiet)),
        timed(() => rawTransition(raw, from, to)),
      ]);
      times.push({ providerMs, rawMs, steps: result.steps });
    }
    return times;
  } finally {
    raw.close();
    await p.dispose();
    await r.dispose();
  }
}

const ratioRange = (ratios: number[]) =>
  `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;

/**
 * Each step's median over `rounds` passes, 0→1's over `createRounds` more: a new member's first
 * election waits a random 0.1 to 1 s (etcd's randomized election timeout less the ticks it skips
 * on a new cluster), on each side, so a few rounds of 0→1 say more about etcd's draw than about
 * the provider.
 */
async function scaleSteps(rounds: number, createRounds: number): Promise<void> {
  const samples = new Map<string, StepTimes[]>(TRANSITIONS.map(([f, t]) => [`${f}→${t}`, []]));
  const add = (transitions: ReadonlyArray<[number, number]>, times: StepTimes[]) =>
    transitions.forEach(([f, t], i) => samples.get(`${f}→${t}`)!.push(times[i]));
  for (let round = 1; round <= rounds; round++)
    add(TRANSITIONS, await scalePass(round, TRANSITIONS));
  for (let round = 1; round <= createRounds; round++)
    add([[0, 1]], await scalePass(rounds + round, [[0, 1]]));
  const rows = [...samples].map(([step, times]) => {
    const provider = median(times.map((t) => t.providerMs));
    const raw = median(times.map((t) => t.rawMs));
    return [
      step,
      String(times.length),
      ms(provider),
      ms(raw),
      ms(provider - raw),
      (provider / raw).toFixed(2),
      ratioRange(times.map((t) => t.providerMs / t.rawMs)),
      String(times[0].steps.length),
    ];
  });
  console.log(
    "Scale steps (etcd 3.5, local processes; the provider's time vs the same operations scripted directly; medians)",
  );
  const header = [
    "scale step",
    "rounds",
    "provider",
    "raw",
    "difference",
    "ratio",
    "per round",
    "steps",
  ];
  console.log(formatTable(header, rows).join("\n"));
  console.log("Provider steps (first round):");
  for (const [step, times] of samples)
    for (const s of times[0].steps) console.log(`  ${step}  ${s.description}: ${s.ms} ms`);
}

async function seed(c: LocalCluster, megabytes: number): Promise<number> {
  const client = dataClient([`http://${c.workload.ip(0)}:2379`]);
  const value = "x".repeat(1024);
  const keys = megabytes * 1024;
  try {
    for (let batch = 0; batch < keys; batch += 64) {
      const puts = [];
      for (let i = batch; i < Math.min(keys, batch + 64); i++)
        puts.push(client.put(`seed/${String(i).padStart(8, "0")}`).value(value));
      await Promise.all(puts);
    }
    return keys;
  } finally {
    client.close();
  }
}

/**
 * A fresh learner joining a seeded member, by the provider and by the raw script; who goes first
 * alternates, since the second of a pair finds the leader's database already read once.
 */
async function learnerCatchUp(megabytes: number, rounds: number): Promise<void> {
  const c = localCluster("bs", "127.0.92", "3.5");
  const raw = new RawScaler(c.workload);
  const one = testGoal(1, "Delete");
  const two = testGoal(2, "Delete");
  const byProvider = async () => {
    const [providerMs, result] = await timed(() => reconcile(c.workload, two, quiet));
    await reconcile(c.workload, one, quiet);
    return { providerMs, wait: result.steps.find((s) => s.kind === "wait") };
  };
  const byRaw = async () => {
    const [rawMs] = await timed(() => raw.grow(1, 0));
    await raw.shrink(1);
    return rawMs;
  };
  try {
    await reconcile(c.workload, { ...one }, quiet);
    const [seedMs, keys] = await timed(() => seed(c, megabytes));
    const admin = new EtcdAdmin();
    const { dbSize } = await admin
      .status(`http://${c.workload.ip(0)}:2379`)
      .finally(() => admin.close());
    console.log(
      `Learner catch-up: ${keys} keys of 1 KiB (db ${(dbSize / 2 ** 20).toFixed(0)} MiB) seeded in ${ms(seedMs)}; 1→2 with a fresh learner:`,
    );
    const header = [
      "round",
      "first",
      "provider",
      "of which waiting for the learner",
      "raw",
      "ratio",
    ];
    const rows: string[][] = [];
    const pairs: Array<{ providerMs: number; rawMs: number }> = [];
    for (let round = 1; round <= rounds; round++) {
      const providerFirst = round % 2 === 1;
      let rawMs: number;
      let provider: Awaited<ReturnType<typeof byProvider>>;
      if (providerFirst) {
        provider = await byProvider();
        rawMs = await byRaw();
      } else {
        rawMs = await byRaw();
        provider = await byProvider();
      }
      pairs.push({ providerMs: provider.providerMs, rawMs });
      rows.push([
        String(round),
        providerFirst ? "provider" : "raw",
        ms(provider.providerMs),
        provider.wait ? `${provider.wait.ms} ms` : "none (caught up at first look)",
        ms(rawMs),
        (provider.providerMs / rawMs).toFixed(2),
      ]);
    }
    const providerMedian = median(pairs.map((p) => p.providerMs));
    const rawMedian = median(pairs.map((p) => p.rawMs));
    rows.push([
      "median",
      "",
      ms(providerMedian),
      "",
      ms(rawMedian),
      (providerMedian / rawMedian).toFixed(2),
    ]);
    console.log(formatTable(header, rows).join("\n"));
  } finally {
    raw.close();
    await c.dispose();
  }
}

async function checkAndDiff(iterations: number): Promise<void> {
  const provider = createMembershipProvider(
    localWorkloadFactory({ root: "/nonexistent", etcdBinary: "/bin/false", ipPrefix: "127.0.94" }),
  );
  const olds = {
    clusterName: "etcd",
    namespace: "db",
    clusterDomain: "cluster.local",
    size: 3,
    volumePolicy: "Delete",
    access: "pod-ip",
  };
  const news = { ...olds, size: 5 };
  const run = async () => {
    const { inputs } = await provider.check!(olds, news);
    await provider.diff!("db/etcd", olds, inputs);
  };
  for (let i = 0; i < 200; i++) await run();
  const [total] = await timed(async () => {
    for (let i = 0; i < iterations; i++) await run();
  });
  console.log(
    `check + diff: mean ${(total / iterations).toFixed(3)} ms over ${iterations} iterations`,
  );
}

async function main(): Promise<void> {
  if (process.argv[2] === "soak") return soak();
  if (process.argv[2] === "e2e") return e2eBench();
  const rounds = countSetting("BENCH_ROUNDS", 3);
  const seedMegabytes = countSetting("BENCH_SEED_MB", 32);
  await checkAndDiff(5_000);
  await scaleSteps(rounds, 4 * rounds);
  await learnerCatchUp(seedMegabytes, 2 * rounds + 1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
