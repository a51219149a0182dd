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
import { formatTable } from "../support/table";
import { e2eBench } from "./e2e";
import { RawScaler } from "./raw";
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

async function scaleSteps(): Promise<void> {
  const transitions: Array<[number, number]> = [
    [0, 1],
    [1, 3],
    [3, 5],
    [5, 3],
    [3, 1],
  ];
  const p = localCluster("bp", "127.0.90", "3.5");
  const r = localCluster("br", "127.0.91", "3.5");
  const raw = new RawScaler(r.workload);
  const header = ["scale step", "provider", "raw", "ratio", "provider steps"];
  const rows: string[][] = [];
  const details: string[] = [];
  try {
    for (const [from, to] of transitions) {
      const goal = testGoal(to, "Delete");
      // Side by side, so both clusters meet etcd's post-join refusal window at the same moments.
      const [[providerMs, result], [rawMs]] = await Promise.all([
        timed(() => reconcile(p.workload, goal, quiet)),
        timed(() => rawTransition(raw, from, to)),
      ]);
      rows.push([
        `${from}→${to}`,
        ms(providerMs),
        ms(rawMs),
        (providerMs / rawMs).toFixed(2),
        String(result.steps.length),
      ]);
      details.push(
        ...result.steps.map((s: StepRecord) => `  ${from}→${to}  ${s.description}: ${s.ms} ms`),
      );
    }
  } finally {
    raw.close();
    await p.dispose();
    await r.dispose();
  }
  console.log(
    "Scale steps (etcd 3.5, local processes; the provider's time vs the same operations scripted directly)",
  );
  console.log(formatTable(header, rows).join("\n"));
  console.log("Provider steps:");
  console.log(details.join("\n"));
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

/** A fresh learner joining a seeded member, by the provider and by the raw script, in turns. */
async function learnerCatchUp(megabytes: number, rounds: number): Promise<void> {
  const c = localCluster("bs", "127.0.92", "3.5");
  const raw = new RawScaler(c.workload);
  const one = testGoal(1, "Delete");
  const two = testGoal(2, "Delete");
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
    const header = ["round", "provider", "of which waiting for the learner", "raw", "ratio"];
    const rows: string[][] = [];
    for (let round = 1; round <= rounds; round++) {
      const [providerMs, result] = await timed(() => reconcile(c.workload, two, quiet));
      const wait = result.steps.find((s) => s.kind === "wait");
      await reconcile(c.workload, one, quiet);
      const [rawMs] = await timed(() => raw.grow(1, 0));
      await raw.shrink(1);
      const waited = wait ? `${wait.ms} ms` : "none (caught up at first look)";
      rows.push([
        String(round),
        ms(providerMs),
        waited,
        ms(rawMs),
        (providerMs / rawMs).toFixed(2),
      ]);
    }
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
  await checkAndDiff(5_000);
  await scaleSteps();
  await learnerCatchUp(Number(process.env.BENCH_SEED_MB ?? 32), 3);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
