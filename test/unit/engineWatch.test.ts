/**
 * The engine watch in real processes: a "provider" process whose "engine" (an intermediate node
 * process) is killed with SIGKILL, directly below it, through `sh -c`, or through a launcher script
 * run by its `#!/bin/sh` line as the CLI runs `pulumi-resource-pulumi-nodejs`. The provider reports
 * on a pipe it inherited from this test, which outlives the engine.
 */
import * as assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { isEngineGone, watchEngine } from "../../providers/membership/engineWatch";
import { loadSerialized } from "../workload/loadSerialized";

const WATCH_MODULE = path.join(__dirname, "..", "..", "providers", "membership", "engineWatch.js");

/** Checks every 50 ms; reports each 5th success, then the failure, and exits. */
const PROVIDER_SCRIPT = `
const { watchEngine } = require(process.env.WATCH_MODULE);
const report = (r) => process.stdout.write(JSON.stringify(r) + "\\n");
setTimeout(() => process.exit(3), 120000).unref();
const watch = watchEngine();
report({ provider: process.pid, parent: process.ppid });
let checks = 0;
setInterval(() => {
  try {
    watch.ensureAlive();
    checks += 1;
    if (checks % 5 === 0) report({ alive: checks, stillAlive: watch.alive() });
  } catch (error) {
    report({ gone: error.name, message: error.message, alive: watch.alive() });
    process.exit(0);
  }
}, 50);
`;

/**
 * The engine: starts the provider (LAUNCH: "direct", "shell" through `sh -c`, or "script", a
 * launcher script file), reports its pid, then idles.
 */
const ENGINE_SCRIPT = `
const { spawn } = require("node:child_process");
const launch = process.env.LAUNCH;
const command = { direct: process.execPath, shell: "sh", script: process.env.LAUNCHER }[launch];
// "; exit $?" keeps the shell from exec-ing node, as in the launcher script.
const args = {
  direct: ["-e", process.env.PROVIDER_SCRIPT],
  shell: ["-c", '"$NODE" -e "$PROVIDER_SCRIPT"; exit $?'],
  script: [],
}[launch];
const child = spawn(command, args, {
  stdio: ["ignore", "inherit", "inherit"],
  env: { ...process.env, NODE: process.execPath },
});
process.stdout.write(JSON.stringify({ engine: process.pid, started: child.pid }) + "\\n");
setInterval(() => {}, 60000);
setTimeout(() => process.exit(3), 120000);
`;

type Report = Record<string, unknown>;

/** Lines from the pipe shared by the engine and the provider, awaited one predicate at a time. */
function reports(child: ChildProcess) {
  const seen: Report[] = [];
  const waiters: Array<() => void> = [];
  readline.createInterface({ input: child.stdout! }).on("line", (line) => {
    seen.push(JSON.parse(line) as Report);
    for (const wake of waiters.splice(0)) wake();
  });
  const next = async (what: string, match: (r: Report) => boolean, timeoutMs = 30_000) => {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = seen.find(match);
      if (found) return found;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; seen ${JSON.stringify(seen)}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, left).unref();
      });
    }
  };
  return { seen, next };
}

/**
 * Starts engine and provider, kills the engine, and returns the provider's reports. The provider
 * exits once it reported; should a check fail first, it and the engine end themselves after two
 * minutes (they are not killed by pid here, which could by then belong to another process).
 */
type Launch = "direct" | "shell" | "script";

/** A launcher like `pulumi-resource-pulumi-nodejs`: a `#!/bin/sh` script that runs node without exec. */
function launcherScript(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "etcd-k8s-launcher-"));
  const file = path.join(dir, "pulumi-resource-pulumi-nodejs");
  fs.writeFileSync(file, '#!/bin/sh\n"$NODE" -e "$PROVIDER_SCRIPT" $@\n', { mode: 0o755 });
  return file;
}

async function engineKilledUnderProvider(launch: Launch) {
  const launcher = launcherScript();
  const engine = spawn(process.execPath, ["-e", ENGINE_SCRIPT], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, WATCH_MODULE, PROVIDER_SCRIPT, LAUNCH: launch, LAUNCHER: launcher },
  });
  try {
    return await killEngine(engine, launch !== "direct");
  } finally {
    engine.kill("SIGKILL");
    engine.stdout?.destroy();
    fs.rmSync(path.dirname(launcher), { recursive: true, force: true });
  }
}

async function killEngine(engine: ChildProcess, viaShell: boolean) {
  const { seen, next } = reports(engine);
  const launch = await next("the engine's report", (r) => "engine" in r);
  const provider = await next("the provider's start", (r) => "provider" in r);
  const expectedParent = viaShell ? launch.started : launch.engine;
  assert.equal(
    provider.parent,
    expectedParent,
    "the provider's parent is the engine, or its shell",
  );

  await next("ten successful checks", (r) => typeof r.alive === "number" && r.alive >= 10);
  assert.equal(
    seen.some((r) => "gone" in r),
    false,
    "nothing reported gone while the engine runs",
  );
  assert.ok(seen.filter((r) => "alive" in r).every((r) => r.stillAlive === true));

  engine.kill("SIGKILL");
  const gone = await next("the provider to report the engine gone", (r) => "gone" in r);
  assert.equal(gone.gone, "EngineGone");
  assert.equal(gone.alive, false);
  return { gone, launch, provider };
}

describe("the engine watch", () => {
  it("reports the engine gone once its parent is killed, and not before", async () => {
    const { gone, launch, provider } = await engineKilledUnderProvider("direct");
    assert.equal(
      gone.message,
      `the Pulumi engine that started this provider (pid ${launch.engine}) has exited; provider pid ${provider.provider} stops before its next step. The cluster is left between steps; run pulumi up again to continue from its live state.`,
    );
  });

  for (const [launch, how] of [
    ["shell", "sh -c"],
    ["script", "a #!/bin/sh launcher script"],
  ] as const)
    it(`looks through the launcher shell (${how}), which outlives the engine`, async () => {
      const { gone, launch: started } = await engineKilledUnderProvider(launch);
      assert.match(
        gone.message as string,
        new RegExp(
          `^the Pulumi engine that started this provider \\(pid ${started.engine}, through (sh|dash|bash) pid ${started.started}\\) has exited; `,
        ),
      );
      // The shell itself is still there: only the engine is gone.
      assert.doesNotThrow(() => process.kill(started.started as number, 0));
    });

  it("sees this test's own engine (the test runner) alive", () => {
    assert.equal(watchEngine().alive(), true);
    assert.doesNotThrow(() => watchEngine().ensureAlive());
    assert.equal(isEngineGone(new Error("other")), false);
  });

  it("serializes with the provider and works once loaded as the dynamic-provider host loads it", async () => {
    const { text } = await pulumi.runtime.serializeFunction(() => watchEngine, {
      allowSecrets: true,
    });
    assert.match(text, /require\("node:fs"\)/);
    const loaded = await loadSerialized({ alive: () => watchEngine().alive() });
    assert.equal(loaded.alive(), true);
  });
});
