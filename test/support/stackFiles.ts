/** The real project and stack files, read the way the Pulumi CLI hands them to the program. */
import { load } from "js-yaml";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";

/** Tests run from dist/test/support; the stack files stay at the repository root. */
export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");

function readYaml(file: string): Record<string, unknown> {
  const full = path.join(REPO_ROOT, file);
  if (!existsSync(full))
    throw new Error(`${full} not found: run the tests from the compiled dist/`);
  return load(readFileSync(full, "utf8")) as Record<string, unknown>;
}

export function projectName(): string {
  return String(readYaml("Pulumi.yaml").name);
}

/**
 * `<namespace>:<key>` to text, as `pulumi.runtime.allConfig()` returns it: the CLI passes
 * scalars as their text and structured values as JSON.
 */
export function stackConfig(stack: string): Record<string, string> {
  const config = (readYaml(`Pulumi.${stack}.yaml`).config ?? {}) as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => [
      key,
      typeof value === "object" ? JSON.stringify(value) : String(value),
    ]),
  );
}
