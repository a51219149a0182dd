import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, test } from "node:test";
import { logTail, terminationMessage } from "./terminationMessage";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "termination-message-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function log(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

test("File, the default policy, gives no message: nothing writes /dev/termination-log here", () => {
  const logFile = log("file.log", "starting\nfatal: no quorum\n");
  assert.equal(terminationMessage({ policy: "File", exitCode: 1, logFile }), undefined);
  assert.equal(terminationMessage({ policy: undefined, exitCode: 1, logFile }), undefined);
});

test("FallbackToLogsOnError gives the log's tail on a failure exit only", () => {
  const logFile = log("fallback.log", "starting\nfatal: no quorum\n");
  assert.equal(
    terminationMessage({ policy: "FallbackToLogsOnError", exitCode: 1, logFile }),
    "starting\nfatal: no quorum\n",
  );
  assert.equal(
    terminationMessage({ policy: "FallbackToLogsOnError", exitCode: 0, logFile }),
    undefined,
  );
  assert.equal(
    terminationMessage({ policy: "FallbackToLogsOnError", exitCode: 143, logFile }),
    "starting\nfatal: no quorum\n",
  );
});

test("the runtime's message comes first, the log tail after it", () => {
  const logFile = path.join(dir, "never-written.log");
  assert.equal(
    terminationMessage({
      policy: "FallbackToLogsOnError",
      exitCode: 128,
      runtimeMessage: "spawn /nowhere ENOENT",
      logFile,
    }),
    "spawn /nowhere ENOENT",
  );
  assert.equal(
    terminationMessage({ policy: "File", exitCode: 128, runtimeMessage: "spawn ENOENT", logFile }),
    "spawn ENOENT",
  );
  const written = log("runtime.log", "partial");
  assert.equal(
    terminationMessage({
      policy: "FallbackToLogsOnError",
      exitCode: 2,
      runtimeMessage: "runtime",
      logFile: written,
    }),
    "runtime: partial",
  );
});

test("the tail is the last 80 lines, of which the last 2048 bytes", () => {
  const lines = Array.from({ length: 100 }, (_, i) => `line ${i}`);
  const many = log("many.log", `${lines.join("\n")}\n`);
  assert.equal(logTail(many), `${lines.slice(20).join("\n")}\n`);

  // An unterminated last line is output but not counted, as the kubelet's tail does.
  const unterminated = log("unterminated.log", `${lines.join("\n")}\nno newline yet`);
  assert.equal(logTail(unterminated), `${lines.slice(20).join("\n")}\nno newline yet`);

  const long = `${"a".repeat(1500)}\n${"b".repeat(1500)}\n`;
  const wide = log("wide.log", long);
  assert.equal(logTail(wide), long.slice(-2048));
  assert.equal(Buffer.byteLength(logTail(wide)), 2048);

  assert.equal(logTail(path.join(dir, "missing.log")), "");
});
