import type * as k8s from "@kubernetes/client-node";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { processState } from "../support/pids";
import { until } from "../support/poll";
import { ContainerRunner } from "./containerRunner";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "container-runner-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
const WAIT = { timeoutMs: 30_000, maxIntervalMs: 200 };

/** A runner of `node -e script`, with restartPolicy Never unless said otherwise. */
function runner(name: string, script: string, container: Partial<k8s.V1Container> = {}) {
  const logsDir = path.join(dir, name);
  fs.mkdirSync(logsDir, { recursive: true });
  let changes = 0;
  const r = new ContainerRunner({
    container: { name, image: "node", ...container },
    podIP: () => "127.0.0.1",
    restartPolicy: "Never",
    terminationGraceMs: 30_000,
    logsDir,
    backoff: { initialMs: 1_000, maxMs: 1_000 },
    prepare: () => ({
      executable: process.execPath,
      args: ["-e", script],
      env: {},
      cwd: logsDir,
      uid: process.getuid?.() ?? 0,
      gid: process.getgid?.() ?? 0,
    }),
    onChange: () => changes++,
  });
  return { runner: r, log: path.join(logsDir, "0.log"), changes: () => changes };
}

const terminated = (r: ContainerRunner) =>
  until(`${r.name} to terminate`, () => r.status().state?.terminated, WAIT);

const FAILING = 'console.log("starting"); console.error("fatal: no quorum"); process.exit(3);';

test("a failed container's message is its log tail with FallbackToLogsOnError", async () => {
  const { runner: r } = runner("fallback", FAILING, {
    terminationMessagePolicy: "FallbackToLogsOnError",
  });
  r.sync();
  const state = await terminated(r);
  assert.equal(state.exitCode, 3);
  assert.equal(state.reason, "Error");
  assert.equal(state.message, "starting\nfatal: no quorum\n");
});

test("with the default File policy a failed container has no message", async () => {
  const { runner: r } = runner("file", FAILING);
  r.sync();
  const state = await terminated(r);
  assert.equal(state.exitCode, 3);
  assert.equal(state.message, undefined);
});

test(
  "a paused process stays running for Kubernetes, resumes, and still stops with SIGTERM",
  {
    timeout: 120_000,
  },
  async () => {
    const script =
      'process.on("SIGTERM", () => { console.log("SIGTERM handled"); process.exit(0); });' +
      'console.log("ready"); setInterval(() => {}, 1000);';
    const { runner: r, log, changes } = runner("paused", script);
    r.sync();
    await until(
      "the SIGTERM handler",
      () => fs.readFileSync(log, "utf8").includes("ready") || undefined,
      WAIT,
    );
    const pid = r.pid!;
    const before = changes();

    assert.equal(r.jobControl("SIGSTOP"), pid);
    await until("the process to be stopped", () => processState(pid) === "T" || undefined, WAIT);
    assert.ok(r.status().state?.running, "still running as far as the status goes");
    assert.equal(changes(), before, "pausing changes nothing in the status");

    assert.equal(r.jobControl("SIGCONT"), pid);
    await until("the process to go on", () => processState(pid) !== "T" || undefined, WAIT);

    r.jobControl("SIGSTOP");
    await until(
      "the process to be stopped again",
      () => processState(pid) === "T" || undefined,
      WAIT,
    );
    // A grace period far beyond the test's timeout: only a delivered SIGTERM ends it in time.
    await r.stop(600_000);
    const state = r.status().state?.terminated;
    assert.equal(state?.exitCode, 0);
    assert.equal(state?.signal, undefined);
    assert.match(fs.readFileSync(log, "utf8"), /SIGTERM handled/);
    assert.equal(r.pid, undefined);
    assert.equal(r.jobControl("SIGSTOP"), undefined);
  },
);
