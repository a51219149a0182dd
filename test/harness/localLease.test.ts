/**
 * The membership lease over files (localLease.ts), in one process and across real processes:
 * waiting and refusing, release, takeover of a holder that stopped renewing (frozen, or killed
 * with SIGKILL), processes racing for it, and renewals keeping it past its duration.
 *
 * Timers are never assumed to fire on time: tests wait for states, with generous bounds.
 */
import * as assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { after, describe, it } from "node:test";
import {
  changeLease,
  holderIdentity,
  isLeaseBusy,
  isLeaseLost,
} from "../../providers/membership/lease";
import { localChangeLease, localLeaseStore } from "./localLease";
import { escapeRegExp, freezable } from "../support/freezableStore";

const LEASE_MODULE = path.join(__dirname, "localLease.js");
const IDENTITY_MODULE = path.join(__dirname, "..", "..", "providers", "membership", "lease.js");

const DURATION_MS = 2_000;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "etcd-local-lease-"));
let dirs = 0;
const freshDir = () => path.join(scratch, `lease-${(dirs += 1)}`);
const children: ChildProcess[] = [];

after(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  fs.rmSync(scratch, { recursive: true, force: true });
});

async function waitUntil(what: string, done: () => Promise<boolean>, timeoutMs = 20_000) {
  const deadline = performance.now() + timeoutMs;
  while (!(await done())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

interface ChildResult {
  holder: string;
  won: boolean;
  name?: string;
  message?: string;
}

/**
 * A process that tries to acquire the lease at wall-clock `startAt`, reports on stdout, and holds
 * it until killed (it ends itself after two minutes, should the test not).
 */
const CHILD_SCRIPT = `
const { localChangeLease } = require(process.env.LEASE_MODULE);
const { holderIdentity } = require(process.env.IDENTITY_MODULE);
const { dir, startAt, durationMs, waitMs } = JSON.parse(process.env.LEASE_CHILD);
const report = (r) => process.stdout.write(JSON.stringify(r) + "\\n");
setTimeout(() => process.exit(3), 120000).unref();
setTimeout(async () => {
  const holder = holderIdentity();
  try {
    await localChangeLease(dir).acquire(holder, { durationMs, waitMs });
    report({ holder, won: true });
    setInterval(() => {}, 60000);
  } catch (error) {
    report({ holder, won: false, name: error.name, message: error.message });
  }
}, Math.max(0, startAt - Date.now()));
`;

function startChild(spec: { dir: string; startAt: number; durationMs: number; waitMs: number }): {
  child: ChildProcess;
  result: Promise<ChildResult>;
} {
  const child = spawn(process.execPath, ["-e", CHILD_SCRIPT], {
    env: {
      ...process.env,
      LEASE_MODULE,
      IDENTITY_MODULE,
      LEASE_CHILD: JSON.stringify(spec),
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  const result = new Promise<ChildResult>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    lines.once("line", (line) => resolve(JSON.parse(line) as ChildResult));
    child.once("exit", (code, signal) =>
      reject(new Error(`lease child exited (${code ?? signal}) without reporting`)),
    );
  });
  return { child, result };
}

describe("the file lease in one process", () => {
  it("is created for its holder with duration, times and no transitions", async () => {
    const dir = freshDir();
    const lease = localChangeLease(dir, "cluster one");
    assert.equal(lease.describe(), `lease file ${dir}`);
    const held = await lease.acquire("run A", { durationMs: DURATION_MS, waitMs: 0 });
    held.ensureHeld();
    const record = await localLeaseStore(dir).read();
    assert.equal(record?.holder, "run A");
    assert.equal(record?.durationMs, DURATION_MS);
    assert.equal(record?.transitions, 0);
    assert.match(record?.renewTime ?? "", /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    await held.release();
    assert.equal((await localLeaseStore(dir).read())?.holder, "");
    assert.throws(() => held.ensureHeld(), { name: "MembershipLeaseLost", message: /released/ });
  });

  it("makes a second run wait waitMs, then refuse naming the holder and the lease", async () => {
    const dir = freshDir();
    const lease = localChangeLease(dir, "cluster one");
    const held = await lease.acquire("run A", { durationMs: DURATION_MS, waitMs: 0 });
    const started = performance.now();
    const refusal = await lease.acquire("run B", { durationMs: DURATION_MS, waitMs: 800 }).then(
      () => assert.fail("run B acquired a held lease"),
      (error: Error) => error,
    );
    const waited = performance.now() - started;
    assert.ok(isLeaseBusy(refusal), refusal.message);
    assert.match(
      refusal.message,
      new RegExp(
        `^the membership of cluster one is being changed by run A \\(lease file ${escapeRegExp(dir)}, renewed \\d{4}-[-:.T\\dZ]+\\); waited [\\d.]+ s\\. If that run is dead, its lease expires 2 s after its last renewal; rerun then\\.$`,
      ),
    );
    assert.ok(waited >= 800 && waited < 800 + 5_000, `waited ${waited} ms`);
    held.ensureHeld();
    await held.release();
  });

  it("lets a waiting run in once the holder releases", async () => {
    const dir = freshDir();
    const lease = localChangeLease(dir);
    const first = await lease.acquire("run A", { durationMs: DURATION_MS, waitMs: 0 });
    let secondHeld = false;
    const second = lease.acquire("run B", { durationMs: DURATION_MS, waitMs: 30_000 });
    void second.then(() => (secondHeld = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(secondHeld, false);
    await first.release();
    const held = await second;
    const record = await localLeaseStore(dir).read();
    assert.equal(record?.holder, "run B");
    assert.equal(record?.transitions, 1);
    held.ensureHeld();
    await held.release();
  });

  it("takes over from a holder that stopped renewing after its duration; the old holder then knows", async () => {
    const dir = freshDir();
    const frozen = freezable(localLeaseStore(dir));
    const old = await changeLease(frozen.store).acquire("run A", {
      durationMs: DURATION_MS,
      waitMs: 0,
    });
    frozen.freeze();
    const started = performance.now();
    const taker = await localChangeLease(dir).acquire("run B", {
      durationMs: DURATION_MS,
      waitMs: 30_000,
    });
    const waited = performance.now() - started;
    assert.ok(waited >= DURATION_MS, `took over after ${waited} ms`);
    assert.throws(() => old.ensureHeld(), {
      name: "MembershipLeaseLost",
      message:
        /^the lease on the membership of the local cluster in .* is no longer held by this run: not renewed for [\d.]+ s \(its duration is 2 s\)/,
    });
    frozen.thaw();
    await old.release();
    const record = await localLeaseStore(dir).read();
    assert.equal(record?.holder, "run B", "the old holder's release left the new holder alone");
    assert.equal(record?.transitions, 1);
    taker.ensureHeld();
    await taker.release();
  });

  it("keeps the lease well past its duration by renewing it", async () => {
    const dir = freshDir();
    const lease = localChangeLease(dir);
    const held = await lease.acquire("run A", { durationMs: DURATION_MS, waitMs: 0 });
    const firstVersion = Number((await localLeaseStore(dir).read())?.version);
    await assert.rejects(
      lease.acquire("run B", { durationMs: DURATION_MS, waitMs: 3 * DURATION_MS }),
      {
        name: "MembershipLeaseBusy",
      },
    );
    held.ensureHeld();
    const record = await localLeaseStore(dir).read();
    assert.equal(record?.holder, "run A");
    assert.ok(Number(record?.version) >= firstVersion + 3, `version ${record?.version}`);
    await held.release();
  });

  it("refuses options that make no sense", async () => {
    await assert.rejects(
      localChangeLease(freshDir()).acquire("run A", { durationMs: 0, waitMs: 10 }),
      { message: /durationMs must be a positive number/ },
    );
  });
});

describe("the file lease across processes", () => {
  it("a holder killed with SIGKILL is taken over once its lease stayed unchanged for its duration", async () => {
    const dir = freshDir();
    const holder = startChild({ dir, startAt: Date.now(), durationMs: DURATION_MS, waitMs: 0 });
    const result = await holder.result;
    assert.equal(result.won, true, result.message);
    holder.child.kill("SIGKILL");
    await waitUntil(
      "the holder to exit",
      async () => holder.child.exitCode !== null || holder.child.signalCode !== null,
    );
    const started = performance.now();
    const taker = await localChangeLease(dir).acquire(holderIdentity(), {
      durationMs: DURATION_MS,
      waitMs: 30_000,
    });
    assert.ok(performance.now() - started >= DURATION_MS);
    const record = await localLeaseStore(dir).read();
    assert.equal(record?.holder, holderIdentity());
    assert.equal(record?.transitions, 1);
    await taker.release();
  });

  for (const round of [1, 2]) {
    it(`three processes racing for it: exactly one wins, the others name it (round ${round})`, async () => {
      const dir = freshDir();
      // Started together on the wall clock, after every process has loaded.
      const startAt = Date.now() + 1_500;
      const racers = [1, 2, 3].map(() =>
        startChild({ dir, startAt, durationMs: 3_000, waitMs: 1_000 }),
      );
      const results = await Promise.all(racers.map((r) => r.result));
      const winners = results.filter((r) => r.won);
      assert.equal(winners.length, 1, JSON.stringify(results));
      assert.notEqual(new Set(results.map((r) => r.holder)).size, 1);
      for (const loser of results.filter((r) => !r.won)) {
        assert.equal(loser.name, "MembershipLeaseBusy", loser.message);
        assert.ok(loser.message?.includes(`being changed by ${winners[0].holder} `), loser.message);
      }
      assert.equal((await localLeaseStore(dir).read())?.holder, winners[0].holder);
      for (const racer of racers) racer.child.kill("SIGKILL");
    });
  }
});

describe("lost leases", () => {
  it("a lease taken from under its holder is reported lost at the next renewal", async () => {
    const dir = freshDir();
    // Long enough that a renewal, not the expiry, notices first.
    const held = await localChangeLease(dir).acquire("run A", { durationMs: 9_000, waitMs: 0 });
    const store = localLeaseStore(dir);
    const { version, ...current } = (await store.read())!;
    await store.replace(version, { ...current, holder: "an operator" });
    await waitUntil("the holder to notice", async () => {
      try {
        held.ensureHeld();
        return false;
      } catch (error) {
        assert.ok(isLeaseLost(error));
        assert.match((error as Error).message, /: it was taken over by an operator\. Stopping/);
        return true;
      }
    });
    await held.release();
    assert.equal((await store.read())?.holder, "an operator");
  });
});
