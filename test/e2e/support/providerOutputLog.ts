/**
 * Every line the dynamic provider prints, with the time it printed it, in a file of the test's
 * own: the engine reads the provider's output through a pipe, and once the engine is killed that
 * pipe has no reader, so what an orphaned provider still prints (or does not) is seen only here.
 *
 * Loaded into the provider process with `--require` (NODE_OPTIONS, see `providerLogEnv`): it
 * copies each write to stdout and stderr into the file, then lets the write go on unchanged, so
 * the provider behaves exactly as without it (a write to a pipe without a reader still fails).
 * Progress lines the provider sends to the engine's Log service instead (under the CLI, see
 * providers/membership/engineLog.ts) are copied as stdout lines, at the moment they are sent.
 * Other processes that load it (the program run) do nothing.
 */
import * as fs from "node:fs";

const LOG_VARIABLE = "ETCD_K8S_E2E_PROVIDER_LOG";

/** One line as the provider printed it. */
export interface ProviderLine {
  /** Date.now() in the provider when it wrote the line. */
  atMs: number;
  pid: number;
  stream: "stdout" | "stderr";
  text: string;
}

/** The environment that makes every provider started by a run log to `file`. */
export function providerLogEnv(file: string): NodeJS.ProcessEnv {
  const preload = `--require ${__filename}`;
  const inherited = process.env.NODE_OPTIONS ?? "";
  return {
    [LOG_VARIABLE]: file,
    NODE_OPTIONS: inherited.includes(preload) ? inherited : `${inherited} ${preload}`.trim(),
  };
}

/** The lines in `file` so far (all providers, in the order they were written). */
export function readProviderLog(file: string): ProviderLine[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text.split("\n").flatMap((line) => parseLine(line) ?? []);
}

/**
 * Calls `onLine` with each line appended to `file` from now on, checking every `everyMs`; the
 * returned function stops following.
 */
export function followProviderLog(
  file: string,
  onLine: (line: ProviderLine) => void,
  everyMs = 20,
): () => void {
  let offset = fs.existsSync(file) ? fs.statSync(file).size : 0;
  let partial = "";
  const timer = setInterval(() => {
    let fd: number;
    try {
      fd = fs.openSync(file, "r");
    } catch {
      return;
    }
    try {
      const size = fs.fstatSync(fd).size;
      if (size <= offset) return;
      const buffer = Buffer.alloc(size - offset);
      fs.readSync(fd, buffer, 0, buffer.length, offset);
      offset = size;
      const lines = (partial + buffer.toString("utf8")).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        const parsed = parseLine(line);
        if (parsed) onLine(parsed);
      }
    } finally {
      fs.closeSync(fd);
    }
  }, everyMs);
  return () => clearInterval(timer);
}

function parseLine(line: string): ProviderLine | undefined {
  const m = /^(\d+) (\d+) (stdout|stderr) (.*)$/.exec(line);
  return m
    ? { atMs: Number(m[1]), pid: Number(m[2]), stream: m[3] as ProviderLine["stream"], text: m[4] }
    : undefined;
}

function tee(file: string, name: "stdout" | "stderr", stream: NodeJS.WriteStream): void {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  let partial = "";
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    try {
      const text = partial + (typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array));
      const lines = text.split("\n");
      partial = lines.pop() ?? "";
      if (lines.length > 0) append(file, name, lines);
    } catch {
      // The copy is for the test; the provider's own write below must happen regardless.
    }
    return write(chunk, ...rest);
  }) as typeof stream.write;
}

const append = (file: string, name: string, lines: string[]) =>
  fs.appendFileSync(file, lines.map((l) => `${Date.now()} ${process.pid} ${name} ${l}\n`).join(""));

/** Copies each message the provider logs through the engine (the same module instance it loads). */
function teeEngineLog(file: string): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { EngineClient } = require("@pulumi/pulumi/proto/engine_grpc_pb") as {
    EngineClient: { prototype: { log: (...args: unknown[]) => unknown } };
  };
  const log = EngineClient.prototype.log;
  EngineClient.prototype.log = function (this: unknown, ...args: unknown[]) {
    try {
      append(file, "stdout", [(args[0] as { getMessage(): string }).getMessage()]);
    } catch {
      // The copy is for the test; the provider's own call below must happen regardless.
    }
    return log.apply(this, args);
  };
}

const logFile = process.env[LOG_VARIABLE];
if (logFile && process.argv.some((arg) => arg.includes("dynamic-provider"))) {
  tee(logFile, "stdout", process.stdout);
  tee(logFile, "stderr", process.stderr);
  teeEngineLog(logFile);
}
