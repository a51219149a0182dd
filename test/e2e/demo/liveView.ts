/**
 * Log lines scrolling above a table that is redrawn in place, on a terminal. Elsewhere (a pipe, a
 * CI log) lines are printed as they come and the table only when it is final.
 */
import * as readline from "node:readline";

export class LiveView {
  /** Lines of the table currently at the bottom of the screen. */
  private shown: string[] = [];

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {}

  get live(): boolean {
    return this.out.isTTY === true;
  }

  log(line: string): void {
    if (!this.live) {
      this.out.write(`${line}\n`);
      return;
    }
    const table = this.shown;
    this.erase();
    this.out.write(`${line}\n`);
    this.draw(table);
  }

  /** Replaces the table on a terminal; elsewhere an interim table is not printed. */
  table(lines: string[]): void {
    if (!this.live) return;
    this.erase();
    this.draw(lines);
  }

  /** Prints the table for good: it scrolls up with the log from now on. */
  final(lines: string[]): void {
    if (this.live) this.erase();
    for (const line of lines) this.out.write(`${line}\n`);
  }

  private draw(lines: string[]): void {
    // A line wider than the terminal would wrap and break the count of lines to erase.
    const width = this.out.columns || 200;
    for (const line of lines) this.out.write(`${line.slice(0, width - 1)}\n`);
    this.shown = lines;
  }

  private erase(): void {
    if (this.shown.length === 0) return;
    readline.moveCursor(this.out, 0, -this.shown.length);
    readline.clearScreenDown(this.out);
    this.shown = [];
  }
}
