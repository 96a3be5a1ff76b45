/**
 * A log file that the manager appends to without waiting: lines go into a
 * buffer in memory, and one ordered chain of writes empties it, when
 * `flush()` is called (each second by `QueueLogs`), when the buffer passes
 * 64 KiB, and last from `close()`.
 *
 * @module
 */

import { errorMessage } from "../../errors.ts";

/** Bytes buffered before a write starts without waiting for the next flush. */
const FLUSH_AT = 64 * 1024;

const encoder = new TextEncoder();

/** Options of {@linkcode LogFile}. */
export interface LogFileOptions {
  /** Told once when a write fails; the file then takes no more lines. */
  onError?: (message: string) => void;
}

/**
 * A file opened for appending, written in batches.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const path = await Deno.makeTempFile();
 * const log = new LogFile(path);
 * log.append("one\n");
 * log.append("two\n");
 * await log.close();
 * assert.equal(await Deno.readTextFile(path), "one\ntwo\n");
 * await Deno.remove(path);
 * ```
 */
export class LogFile {
  /** The file's path. */
  readonly path: string;
  readonly #file: Deno.FsFile;
  readonly #onError: (message: string) => void;
  #pending: string[] = [];
  #pendingChars = 0;
  #chain: Promise<void> = Promise.resolve();
  #failed = false;
  #closed: Promise<void> | undefined;

  /**
   * Opens (creates, or appends to) the file at once, so that a bad path
   * fails here.
   *
   * @param path Where to write.
   * @param options What to tell when a later write fails.
   * @throws {Error} If the file cannot be opened, naming it.
   */
  constructor(path: string, options: LogFileOptions = {}) {
    if (typeof path !== "string" || path.length === 0) {
      throw new TypeError(`Cannot open log: expected a file path, got '${String(path)}'`);
    }
    this.path = path;
    this.#onError = options.onError ?? (() => {});
    try {
      this.#file = Deno.openSync(path, { append: true, create: true });
    } catch (e) {
      throw new Error(`Cannot open log '${path}': ${errorMessage(e)}`, { cause: e });
    }
  }

  /**
   * Queues text (whole lines, with their LF) for the file. It never waits;
   * past 64 KiB a write starts.
   *
   * @param text The text.
   */
  append(text: string): void {
    if (this.#closed || this.#failed) return;
    this.#pending.push(text);
    this.#pendingChars += text.length;
    if (this.#pendingChars >= FLUSH_AT) this.flush();
  }

  /**
   * Writes what is buffered, after any write under way.
   *
   * @returns When it is written (never rejects: a failure is told to `onError`).
   */
  flush(): Promise<void> {
    if (this.#pending.length === 0) return this.#chain;
    const text = this.#pending.join("");
    this.#pending = [];
    this.#pendingChars = 0;
    this.#chain = this.#chain.then(() => this.#write(encoder.encode(text)));
    return this.#chain;
  }

  async #write(bytes: Uint8Array): Promise<void> {
    if (this.#failed) return;
    try {
      for (let off = 0; off < bytes.length;) off += await this.#file.write(bytes.subarray(off));
    } catch (e) {
      this.#failed = true;
      this.#onError(`Cannot write log '${this.path}': ${errorMessage(e)}; it gets no more lines`);
    }
  }

  /**
   * Writes what is buffered and closes the file. Calling it again returns
   * the same promise.
   *
   * @returns When the file is closed.
   */
  close(): Promise<void> {
    this.#closed ??= this.flush().then(() => this.#file.close());
    return this.#closed;
  }
}
