import * as pulumi from "@pulumi/pulumi";

/**
 * Serializes `value` as Pulumi serializes a dynamic provider, then loads the text the way the
 * engine's `@pulumi/pulumi/cmd/dynamic-provider` host does (require-from-string, resolving modules
 * from the host's location), and returns the loaded copy.
 */
export async function loadSerialized<T>(value: T): Promise<T> {
  const { text } = await pulumi.runtime.serializeFunction(() => value, { allowSecrets: true });
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- untyped CommonJS module
  const requireFromString = require("require-from-string") as (
    code: string,
    filename: string,
  ) => { handler: () => T };
  return requireFromString(text, require.resolve("@pulumi/pulumi/cmd/dynamic-provider")).handler();
}
