/**
 * The worker's log: notices always go to stderr; with `--debug`, protocol
 * traffic and decisions go to stderr or to the `--debug-file`.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Options for {@linkcode WorkerLog}. */
export interface WorkerLogOptions {
  /** Log debug lines too. */
  debug?: boolean;
  /** Append debug (and notice) lines to this file instead of stderr. */
  file?: string;
  /** Prefix of every line. Default `wq-worker`. */
  name?: string;
}

/**
 * A small synchronous logger. Lines are short and rare enough that a
 * blocking write keeps them in order with the process's other output.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const file = await Deno.makeTempFile();
 * const log = new WorkerLog({ debug: true, file, name: "w1" });
 * log.debug("connected to 127.0.0.1:9123");
 * log.close();
 * assert.match(await Deno.readTextFile(file), /^\S+Z w1\[\d+\] connected to 127\.0\.0\.1:9123\n$/);
 * await Deno.remove(file);
 * assert.equal(new WorkerLog({ debug: false }).debugEnabled, false); // debug() drops its lines
 * ```
 */
export class WorkerLog {
  #debug: boolean;
  #file: Deno.FsFile | undefined;
  #name: string;

  /** @param options Debug switch, file and prefix. */
  constructor(options: WorkerLogOptions = {}) {
    this.#debug = options.debug ?? false;
    this.#name = options.name ?? "wq-worker";
    if (options.file) {
      this.#file = Deno.openSync(options.file, { append: true, create: true });
    }
  }

  /** Whether debug lines are kept. */
  get debugEnabled(): boolean {
    return this.#debug;
  }

  /**
   * Logs a debug line (only with `--debug`).
   *
   * @param message The text, one line.
   */
  debug(message: string): void {
    if (this.#debug) this.#write(message, false);
  }

  /**
   * Logs a notice: always to stderr, and to the debug file if there is one.
   *
   * @param message The text, one line.
   */
  notice(message: string): void {
    this.#write(message, true);
  }

  /** Closes the debug file. */
  close(): void {
    this.#file?.close();
    this.#file = undefined;
  }

  #write(message: string, notice: boolean): void {
    const stamp = new Date().toISOString();
    const line = encoder.encode(`${stamp} ${this.#name}[${Deno.pid}] ${message}\n`);
    if (this.#file) writeAllSync(this.#file, line);
    if (notice || !this.#file) writeAllSync(Deno.stderr, line);
  }
}

function writeAllSync(w: { writeSync(p: Uint8Array): number }, p: Uint8Array): void {
  let off = 0;
  while (off < p.length) off += w.writeSync(p.subarray(off));
}
