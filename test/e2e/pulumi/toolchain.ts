/**
 * Which Pulumi CLI the end-to-end tests and the demo run, and the environment every run gets. A
 * CLI the user has on PATH is theirs to use; otherwise the one `scripts/build-pulumi.sh` built into
 * `.tools/pulumi/bin` (with its plugins, its own PULUMI_HOME and no plugin downloads). A missing CLI
 * is an error that says how to get one: the tests fail with it rather than skip.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { repoRoot } from "../support/repo";

export interface PulumiToolchain {
  /** The `pulumi` executable. */
  binary: string;
  /** "built" from the Go module proxy by scripts/build-pulumi.sh, or the user's own on PATH. */
  source: "built" | "path";
  /** Set on every run, on top of the caller's environment. */
  env: Record<string, string>;
}

const isExecutable = (file: string): boolean => {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
};

function onPath(command: string, except: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir === "" || path.resolve(dir) === except) continue;
    const file = path.join(dir, command);
    if (isExecutable(file)) return file;
  }
  return undefined;
}

export function pulumiToolchain(root = repoRoot()): PulumiToolchain {
  const builtDir = path.join(root, ".tools/pulumi/bin");
  const nodeDir = path.join(root, ".tools/node/bin");
  const paths = (first: string[]) =>
    [...first.filter((d) => fs.existsSync(d)), process.env.PATH ?? ""].join(path.delimiter);
  // No update nags, and no prompts: a run that would ask fails instead. The program is type-checked
  // once by the build (`tsc`) before any test runs; ts-node checking it again on each of the
  // suite's ~150 CLI runs would only cost minutes.
  const common = {
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_SKIP_CONFIRMATIONS: "true",
    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
  };
  const theirs = onPath("pulumi", builtDir);
  if (theirs) return { binary: theirs, source: "path", env: { ...common, PATH: paths([nodeDir]) } };
  const built = path.join(builtDir, "pulumi");
  if (!isExecutable(built)) {
    throw new Error(
      `no Pulumi CLI: none on PATH and none built at ${built}; run 'bash scripts/setup.sh' ` +
        "(it builds the CLI and its plugins from the Go module proxy, about 25 minutes cold)",
    );
  }
  return {
    binary: built,
    source: "built",
    env: {
      ...common,
      // The language host and the dynamic-provider launcher sit next to the CLI; node must be 24.
      PATH: paths([builtDir, nodeDir]),
      PULUMI_HOME: path.join(root, ".tools/pulumi/home"),
      // Everything is built here; a download attempt could only fail, later and less clearly.
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    },
  };
}
