/**
 * The text tables the bench and the demo print: left-aligned columns two spaces apart, every line
 * after `indent`. Lines end at their last character, so an empty or short last cell leaves no
 * trailing spaces.
 */
export function formatTable(headers: string[], rows: string[][], indent = ""): string[] {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    `${indent}${cells.map((c, i) => c.padEnd(widths[i])).join("  ")}`.trimEnd();
  return [line(headers), ...rows.map(line)];
}
