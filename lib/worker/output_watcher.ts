/**
 * The worker's watch on outputs flagged `FLAG_WATCH`: while a task runs, the
 * session polls the size of each such file in its sandbox (about once a
 * second; CCTools' worker looks on every turn of its main loop, at least
 * every 5 s), says `available_results` when one changed, and answers the
 * next `send_results` with an `update` record per file that grew: the new
 * bytes, from where the last record ended. A file that shrank is sent again
 * from its start, as CCTools' work_queue_watcher.c does.
 *
 * @module
 */

import { errorMessage } from "../errors.ts";
import { FLAG_WATCH } from "../wire/protocol.ts";
import { isUpdatePath, type UpdateHeader } from "../wire/results.ts";
import type { TaskBlockFile } from "../wire/task_block.ts";

/** The most bytes of one file in one `update` record; the rest goes in the next reply. */
export const MAX_UPDATE_BYTES = 1 << 20;

/** One `update` record, ready to send: the line's fields and the bytes that follow it. */
export interface WatchedUpdate {
  /** The line's fields. */
  header: UpdateHeader;
  /** Exactly `header.length` bytes. */
  bytes: Uint8Array;
}

interface Entry {
  taskId: number;
  path: string;
  remote: string;
  /** How many bytes of the file the manager has (where the next record starts). */
  sent: number;
}

/**
 * The watched outputs of the running tasks of one connection.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const sandbox = await Deno.makeTempDir();
 * const watcher = new OutputWatcher();
 * watcher.add(7, sandbox, [{ cachedName: "file-1-x", remoteName: "log.txt", flags: 16 }]);
 * assert.equal(watcher.changed(), false); // not there yet
 * await Deno.writeTextFile(`${sandbox}/log.txt`, "one\n");
 * assert.equal(watcher.changed(), true);
 * const [u] = await watcher.collect();
 * assert.deepEqual(u.header, { taskId: 7, remotePath: "log.txt", offset: 0, length: 4 });
 * assert.equal(watcher.changed(), false);
 * watcher.remove(7);
 * assert.equal(watcher.size, 0);
 * await Deno.remove(sandbox, { recursive: true });
 * ```
 */
export class OutputWatcher {
  #entries: Entry[] = [];
  readonly #log: (message: string) => void;
  readonly #maxBytes: number;
  readonly #onChange: (() => void) | undefined;
  readonly #pollMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;

  /**
   * @param options `log`: debug messages; `maxBytes`: the most bytes of one
   * file per record (default {@linkcode MAX_UPDATE_BYTES}); `onChange`:
   * called when a watched file {@linkcode changed}, looked at every `pollMs`
   * (default 1000) while any file is watched.
   */
  constructor(
    options: {
      log?: (message: string) => void;
      maxBytes?: number;
      onChange?: () => void;
      pollMs?: number;
    } = {},
  ) {
    this.#log = options.log ?? (() => {});
    this.#maxBytes = options.maxBytes ?? MAX_UPDATE_BYTES;
    this.#onChange = options.onChange;
    this.#pollMs = options.pollMs ?? 1000;
  }

  /** Stops looking at the files (the session ended). */
  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Looks at the files every `pollMs` while any is watched. */
  #poll(): void {
    if (this.#onChange === undefined || this.#entries.length === 0 || this.#timer) return;
    const timer = setInterval(() => {
      if (this.#entries.length === 0) this.close();
      else if (this.changed()) this.#onChange!();
    }, this.#pollMs);
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }

  /** How many files are watched. */
  get size(): number {
    return this.#entries.length;
  }

  /**
   * Watches a starting task's outputs that carry `FLAG_WATCH`. A name that
   * an `update` line cannot carry (it has whitespace) is not watched; it
   * still comes back whole when the task ends.
   *
   * @param taskId The task.
   * @param sandbox Its sandbox directory.
   * @param outputs Its `outfile` lines.
   */
  add(taskId: number, sandbox: string, outputs: readonly TaskBlockFile[]): void {
    for (const o of outputs) {
      if ((o.flags & FLAG_WATCH) === 0) continue;
      if (!isUpdatePath(o.remoteName)) {
        this.#log(`task ${taskId}: not watching '${o.remoteName}': an update cannot name it`);
        continue;
      }
      this.#entries.push({
        taskId,
        path: `${sandbox}/${o.remoteName}`,
        remote: o.remoteName,
        sent: 0,
      });
    }
    this.#poll();
  }

  /**
   * Stops watching a task's files (its process ended).
   *
   * @param taskId The task.
   */
  remove(taskId: number): void {
    if (this.#entries.some((e) => e.taskId === taskId)) {
      this.#entries = this.#entries.filter((e) => e.taskId !== taskId);
    }
  }

  /**
   * Whether some watched file's size differs from what the manager has.
   *
   * @returns True if the next `send_results` reply would carry an update.
   */
  changed(): boolean {
    return this.#entries.some((e) => {
      const size = this.#sizeOf(e);
      return size !== undefined && size !== e.sent;
    });
  }

  /**
   * Reads what changed in every watched file: from where the last record
   * ended (or from 0 if the file shrank), at most `maxBytes` per file. The
   * bytes are read before the record is made, so its length is exactly what
   * was read; a file that cannot be read now is skipped until the next time.
   *
   * @returns The records, in the order the files were added.
   */
  async collect(): Promise<WatchedUpdate[]> {
    const out: WatchedUpdate[] = [];
    for (const e of [...this.#entries]) {
      const size = this.#sizeOf(e);
      if (size === undefined || size === e.sent) continue;
      const offset = size > e.sent ? e.sent : 0;
      let bytes: Uint8Array;
      try {
        bytes = await readAt(e.path, offset, Math.min(size - offset, this.#maxBytes));
      } catch (err) {
        this.#log(`task ${e.taskId}: cannot read watched '${e.remote}': ${errorMessage(err)}`);
        continue;
      }
      e.sent = offset + bytes.length;
      out.push({
        header: { taskId: e.taskId, remotePath: e.remote, offset, length: bytes.length },
        bytes,
      });
    }
    return out;
  }

  /**
   * The file's size, or undefined if it is not a regular file now: not yet
   * made, moved away as the task ended, or not readable (logged; as in
   * CCTools, that does not mean the task failed).
   */
  #sizeOf(e: Entry): number | undefined {
    try {
      const st = Deno.statSync(e.path);
      return st.isFile ? st.size : undefined;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory)) {
        this.#log(`task ${e.taskId}: cannot look at watched '${e.remote}': ${errorMessage(err)}`);
      }
      return undefined;
    }
  }
}

/** Reads up to `length` bytes at `offset` (fewer if the file is shorter by now). */
async function readAt(path: string, offset: number, length: number): Promise<Uint8Array> {
  using f = await Deno.open(path, { read: true });
  await f.seek(offset, Deno.SeekMode.Start);
  const buf = new Uint8Array(length);
  let got = 0;
  while (got < length) {
    const n = await f.read(buf.subarray(got));
    if (n === null) break;
    got += n;
  }
  return buf.subarray(0, got);
}
