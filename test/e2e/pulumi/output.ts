/** Reading what the Pulumi CLI printed: the membership resource's preview, its progress lines. */

const MEMBERSHIP = "pulumi-nodejs:dynamic/etcd:Membership";
export const PROGRESS_MARK = "[etcd membership] ";

/**
 * The membership resource's block of `pulumi preview --diff`, trimmed lines from its header
 * (`~ pulumi-nodejs:dynamic/etcd:Membership: (update)`) to the stack outputs; empty when the
 * preview does not change it.
 */
export function membershipPreview(log: string[]): string[] {
  const lines = log.map((l) => l.trim());
  const from = lines.findIndex((l) => /^[+~-] /.test(l) && l.includes(`${MEMBERSHIP}: (`));
  if (from < 0) return [];
  const to = lines.findIndex((l, i) => i > from && (l === "--outputs:--" || l === "Resources:"));
  return lines.slice(from, to < 0 ? undefined : to);
}

/** The lines of that block a user reads for a size change: what changes, member by member. */
export function membershipChanges(log: string[]): string[] {
  const block = membershipPreview(log);
  const created = block[0]?.endsWith("(create)");
  return block
    .slice(1)
    .filter((l) =>
      created
        ? /^(\[\d+\]: "|plan\s|size\s)/.test(l)
        : /^[+~-] /.test(l) && !l.startsWith("~ members"),
    );
}

/**
 * The provider's progress lines as the run printed them, once each: the CLI prints them as they
 * come and again in its closing "Diagnostics:" section.
 */
export function progressLines(log: string[]): string[] {
  const diagnostics = log.findIndex((l) => l.startsWith("Diagnostics:"));
  return (diagnostics < 0 ? log : log.slice(0, diagnostics))
    .filter((l) => l.includes(PROGRESS_MARK))
    .map((l) => l.slice(l.indexOf(PROGRESS_MARK) + PROGRESS_MARK.length));
}
