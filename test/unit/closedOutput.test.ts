/**
 * A provider process whose engine was killed writes its progress into pipes nobody reads. It must
 * go on (and finish its run) instead of spinning: the dynamic-provider host reports every uncaught
 * error on stderr, and an unhandled EPIPE from that report is uncaught again, for ever (seen with
 * the real CLI: full CPU and growing memory until killed by hand).
 */
import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";

const WATCHDOG = path.join(__dirname, "..", "..", "providers", "membership", "watchdog.js");

/** The host's handler as @pulumi/pulumi's cmd/dynamic-provider installs it, then one run. */
const PROVIDER = `
const fs = require("node:fs");
const seen = new Set();
process.on("uncaughtException", (err) => {
  if (!seen.has(err)) { seen.add(err); console.error(err.stack || err.message); }
});
const { asRun } = require(process.env.WATCHDOG);
console.log("started");
asRun(async () => {
  // The engine reads no more (the test closed its end of both pipes).
  await new Promise((resolve) => process.stdin.once("end", resolve).resume());
  for (let i = 0; i < 50; i += 1) {
    console.log("[etcd membership] a progress line nobody reads");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return "done";
}).then((result) => {
  fs.writeFileSync(process.env.RESULT, result);
  process.exit(0);
});
`;

test("progress written into a closed pipe neither stops the run nor makes it spin", async () => {
  const result = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "etcd-k8s-pipes-")), "result");
  const child = spawn(process.execPath, ["-e", PROVIDER], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, WATCHDOG, RESULT: result },
  });
  await new Promise((resolve) => child.stdout.once("data", resolve));
  child.stdout.destroy();
  child.stderr.destroy();
  child.stdin.end();
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const code = await new Promise((resolve) =>
    child.once("exit", (c, signal) => resolve(c ?? signal)),
  );
  clearTimeout(timer);
  assert.equal(code, 0, "the run finished and the process exited by itself");
  assert.equal(fs.readFileSync(result, "utf8"), "done");
  fs.rmSync(path.dirname(result), { recursive: true, force: true });
});
