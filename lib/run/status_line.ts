/**
 * A line at the bottom of a terminal that is redrawn in place, with other
 * lines printed above it.
 *
 * @module
 */

const encoder = new TextEncoder();
const CLEAR = "\r\x1b[K";

/** Where a status line is drawn. */
export interface StatusLineOptions {
  /** Writes text to the terminal, whole and in order (default: stderr). */
  write?: (text: string) => void;
  /** Redraw in place (a terminal); when `false`, `draw()` does nothing. */
  terminal: boolean;
}

function writeStderr(text: string): void {
  const bytes = encoder.encode(text);
  for (let n = 0; n < bytes.length;) n += Deno.stderr.writeSync(bytes.subarray(n));
}

/**
 * A status line: `draw(text)` replaces it, `print(line)` puts a line above
 * it, `clear()` removes it. It draws only on a terminal; elsewhere only
 * printed lines appear.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StatusLine } from "./status_line.ts";
 *
 * let out = "";
 * const s = new StatusLine({ terminal: true, write: (t) => out += t });
 * s.draw("1/2 done");
 * s.print("a message");
 * s.clear();
 * assert.equal(out, "\r\x1b[K1/2 done\r\x1b[Ka message\n1/2 done\r\x1b[K");
 * ```
 */
export class StatusLine {
  readonly #write: (text: string) => void;
  readonly #terminal: boolean;
  #shown = "";

  /** @param options The terminal, and how to write to it. */
  constructor(options: StatusLineOptions) {
    this.#write = options.write ?? writeStderr;
    this.#terminal = options.terminal;
  }

  /** Whether it draws (it is on a terminal). */
  get terminal(): boolean {
    return this.#terminal;
  }

  /**
   * Draws the line, replacing the one shown (nothing if it is the same).
   *
   * @param text The new line, without a line break.
   */
  draw(text: string): void {
    if (!this.#terminal || text === this.#shown) return;
    this.#write(`${CLEAR}${text}`);
    this.#shown = text;
  }

  /**
   * Prints a line above the status line (or just the line, off a terminal).
   *
   * @param line The line, without a line break.
   */
  print(line: string): void {
    this.around(() => this.#write(`${line}\n`));
  }

  /**
   * Runs `write` with the status line taken away, then draws it again: for
   * output that goes to the same terminal by another way (stdout).
   *
   * @param write What writes to the terminal.
   */
  around(write: () => void): void {
    const shown = this.#shown;
    if (shown !== "") this.#write(CLEAR);
    write();
    if (shown !== "") this.#write(shown);
  }

  /** Removes the status line; the next `draw()` shows it again. */
  clear(): void {
    if (this.#shown === "") return;
    this.#write(CLEAR);
    this.#shown = "";
  }
}
