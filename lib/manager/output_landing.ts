/**
 * Landing a fetched output safely: under a temporary name beside its final
 * path, renamed into place only once it came whole.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { errorMessage } from "../errors.ts";
import type { ByteSink } from "../wire/line_reader.ts";

/** A synchronous write slower than this (ms) switches the rest of the file to async writes. */
const SLOW_WRITE_MS = 2;
/** Numbers temporary names, so two landings in one process never meet. */
let tmpCounter = 0;

/**
 * Lands one output (a file or a directory tree) under a temporary name next
 * to its final path, and renames it into place only when it came whole.
 * Entries are addressed by their path below the output (`""` for the output
 * itself), already checked by `parseOutputEntry()`. Files are
 * created with `createNew`, so an entry never writes through an existing
 * name. Local failures (a conflicting entry, a full disk, a directory in
 * the way) are returned as reasons, never thrown, so that the reply stream
 * stays in step.
 */
export class OutputLanding {
  readonly local: string;
  readonly #tmp: string;
  #started = false;

  /** @param local The final local path. */
  constructor(local: string) {
    this.local = resolve(local);
    this.#tmp = `${dirname(this.local)}/.${
      this.local.split("/").at(-1)
    }.wq-${Deno.pid}-${++tmpCounter}.part`;
  }

  #pathOf(rel: string): string {
    return rel === "" ? this.#tmp : `${this.#tmp}/${rel}`;
  }

  /** Makes sure the parent of the temporary path exists. */
  async prepare(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await Deno.mkdir(dirname(this.local), { recursive: true });
  }

  /**
   * Makes the directory of a `dir` entry.
   *
   * @param rel Its path below the output.
   * @returns Why it could not be made, or `undefined`.
   */
  async makeDir(rel: string): Promise<string | undefined> {
    try {
      await this.prepare();
      await Deno.mkdir(this.#pathOf(rel), { recursive: true });
      return undefined;
    } catch (e) {
      return `entry '${rel || "."}' cannot be made: ${errorMessage(e)}`;
    }
  }

  /**
   * Writes the body of a `file` entry. `copy` must read the whole body and
   * write it to the sink it is given (or drop it when given `null`); after a
   * local error the sink drops the rest.
   *
   * @param rel Its path below the output.
   * @param copy Streams the body.
   * @returns Why it could not be written, or `undefined`.
   */
  async writeFile(
    rel: string,
    copy: (sink: ByteSink | null) => Promise<void>,
  ): Promise<string | undefined> {
    const path = this.#pathOf(rel);
    let failure: string | undefined;
    let file: Deno.FsFile | undefined;
    try {
      await this.prepare();
      if (rel !== "") await Deno.mkdir(dirname(path), { recursive: true });
      file = await Deno.open(path, { write: true, createNew: true });
    } catch (e) {
      failure = errorMessage(e);
    }
    const f = file;
    // Writes are synchronous, as the worker's: into the page cache that is
    // shorter than a trip through Deno's thread pool. After one slow write
    // (a slow or remote disk) the rest of the file is written asynchronously.
    let sync = true;
    const sink: ByteSink | null = f
      ? {
        async write(p: Uint8Array): Promise<number> {
          if (failure !== undefined) return p.length;
          try {
            if (!sync) return await f.write(p);
            const t0 = performance.now();
            const n = f.writeSync(p);
            if (performance.now() - t0 > SLOW_WRITE_MS) sync = false;
            return n;
          } catch (e) {
            failure = errorMessage(e);
            return p.length;
          }
        },
      }
      : null;
    try {
      await copy(sink);
    } finally {
      f?.close();
    }
    return failure === undefined
      ? undefined
      : `entry '${rel || "."}' cannot be written: ${failure}`;
  }

  /**
   * Moves the finished output into place, replacing what was there.
   *
   * @returns Why it could not be moved (or never came), or `undefined`.
   */
  async commit(): Promise<string | undefined> {
    const st = await Deno.lstat(this.#tmp).catch(() => undefined);
    if (!st) return "was not sent by the worker";
    try {
      if (st.isDirectory) await Deno.remove(this.local, { recursive: true }).catch(() => {});
      await Deno.rename(this.#tmp, this.local);
      return undefined;
    } catch (e) {
      return `cannot be moved into place: ${errorMessage(e)}`;
    }
  }

  /** Removes whatever was written under the temporary name. */
  async discard(): Promise<void> {
    if (this.#started) await Deno.remove(this.#tmp, { recursive: true }).catch(() => {});
  }
}
