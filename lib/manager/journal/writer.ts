/**
 * The journal's file: opened under a lock, appended with group commit (the
 * records appended in one tick share one write and one fsync), and
 * compacted by writing a snapshot of what is still in play to a temporary
 * file renamed over it. Nothing here touches the reactor: the records come
 * from `journal.ts`, which listens to the reactor's events.
 *
 * @module
 */

import { dirname } from "node:path";
import { encodeRecord, HEADER, parseJournal } from "./format.ts";
import type { JournalRecord } from "./records.ts";

/** What {@linkcode JournalWriter} needs of the journal around it. */
export interface JournalWriterHooks {
  /** The state in play as records, for a compacted journal (called synchronously). */
  snapshot(): JournalRecord[];
  /** How big that state is, in records, to decide when to compact. */
  size(): number;
  /** Where warnings go. */
  warn(message: string): void;
}

/** Records in the file before compaction is considered at all. */
const COMPACT_MIN = 10_000;
/** Compact when the file holds this many times the records of a snapshot. */
const COMPACT_RATIO = 3;

const encoder = new TextEncoder();

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  while (bytes.length > 0) bytes = bytes.subarray(await file.write(bytes));
}

/** The bytes of a journal read at start-up, under its lock. */
export interface OpenedJournal {
  writer: JournalWriter;
  records: JournalRecord[];
}

/** One journal file, written in order, fsynced in groups. */
export class JournalWriter {
  /** The journal's path. */
  readonly path: string;
  readonly #hooks: JournalWriterHooks;
  readonly #lock: Deno.FsFile;
  #file: Deno.FsFile;
  #pending: string[] = [];
  /** Records appended, written and synced so far (sequence numbers). */
  #appended = 0;
  #synced = 0;
  #waiters: { seq: number; resolve(): void; reject(e: Error): void }[] = [];
  #running = false;
  #scheduled = false;
  /** Records in the file now (since the last compaction). */
  #inFile = 0;
  #error: Error | undefined;
  #closed = false;
  /** Bytes written, over the writer's life, and compactions done. */
  bytesWritten = 0;
  compactions = 0;

  private constructor(
    path: string,
    lock: Deno.FsFile,
    file: Deno.FsFile,
    hooks: JournalWriterHooks,
  ) {
    this.path = path;
    this.#lock = lock;
    this.#file = file;
    this.#hooks = hooks;
  }

  /**
   * Locks and reads a journal (or creates it), dropping a torn last record.
   *
   * @param path The journal.
   * @param hooks Snapshot, size and warnings.
   * @returns The writer and the records read.
   * @throws {Error} If another process (or queue) has the journal open.
   * @throws {SyntaxError} If the file is another program's, another version's, or corrupt.
   */
  static open(path: string, hooks: JournalWriterHooks): OpenedJournal {
    const lockPath = `${path}.lock`;
    const lock = Deno.openSync(lockPath, { read: true, write: true, create: true });
    let file: Deno.FsFile | undefined;
    try {
      if (!lock.tryLockSync(true)) {
        let holder = "";
        try {
          const pid = Deno.readTextFileSync(lockPath).trim();
          if (/^\d+$/.test(pid)) holder = ` (process ${pid})`;
        } catch (e) {
          if (!(e instanceof Deno.errors.NotFound)) throw e;
        }
        throw new Error(
          `Cannot open journal '${path}': another manager${holder} has it open (lock '${lockPath}')`,
        );
      }
      lock.truncateSync(0);
      lock.writeSync(encoder.encode(`${Deno.pid}\n`));
      let bytes: Uint8Array | undefined;
      try {
        bytes = Deno.readFileSync(path);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
      const parsed = bytes ? parseJournal(bytes, path) : { records: [], end: 0, torn: 0 };
      file = Deno.openSync(path, { read: true, write: true, create: true });
      if (parsed.torn > 0) {
        hooks.warn(
          `journal '${path}': dropped ${parsed.torn} bytes of a record cut short at offset ${parsed.end}`,
        );
        file.truncateSync(parsed.end);
      }
      if (parsed.end === 0) {
        file.truncateSync(0);
        file.writeSync(encoder.encode(HEADER));
        file.syncSync();
      }
      file.seekSync(0, Deno.SeekMode.End);
      const w = new JournalWriter(path, lock, file, hooks);
      w.#inFile = parsed.records.length;
      return { writer: w, records: parsed.records };
    } catch (e) {
      file?.close();
      lock.close(); // releases the lock
      throw e;
    }
  }

  /**
   * Appends a record; it is written (and fsynced) with the others of its
   * tick, in order.
   *
   * @param record The record.
   * @returns Its sequence number, for {@linkcode JournalWriter.durable}.
   */
  append(record: JournalRecord): number {
    if (this.#closed) return 0;
    this.#pending.push(encodeRecord(record));
    this.#appended++;
    this.#inFile++;
    if (!this.#running && !this.#scheduled) {
      this.#scheduled = true;
      queueMicrotask(this.#start);
    }
    return this.#appended;
  }

  /**
   * Resolves when the records appended so far (or up to `seq`) are on
   * disk, or returns `undefined` if they are already.
   *
   * @param seq A record's sequence number, from {@linkcode JournalWriter.append}.
   * @returns A promise, or `undefined`.
   */
  durable(seq: number = this.#appended): Promise<void> | undefined {
    if (this.#error) return Promise.reject(this.#error);
    if (this.#synced >= seq) return undefined;
    return new Promise((resolve, reject) => this.#waiters.push({ seq, resolve, reject }));
  }

  readonly #start = (): void => {
    this.#scheduled = false;
    if (this.#running) return;
    this.#running = true;
    this.#run().catch((e) => this.#fail(e));
  };

  async #run(): Promise<void> {
    while (!this.#error && this.#synced < this.#appended) {
      if (this.#inFile >= COMPACT_MIN && this.#inFile > COMPACT_RATIO * this.#hooks.size()) {
        await this.#compact();
        continue;
      }
      const target = this.#appended;
      const text = this.#pending.join("");
      this.#pending = [];
      const bytes = encoder.encode(text);
      await writeAll(this.#file, bytes);
      await this.#file.syncData();
      this.bytesWritten += bytes.length;
      this.#reached(target);
    }
    this.#running = false;
  }

  /** Writes the snapshot to a temporary file, fsyncs it, and renames it over the journal. */
  async #compact(): Promise<void> {
    const target = this.#appended;
    const records = this.#hooks.snapshot();
    this.#pending = []; // what they said is in the snapshot
    const tmp = `${this.path}.tmp`;
    const out = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      let chunk = HEADER;
      for (const r of records) {
        chunk += encodeRecord(r);
        if (chunk.length >= 1 << 20) {
          await writeAll(out, encoder.encode(chunk));
          this.bytesWritten += chunk.length;
          chunk = "";
        }
      }
      await writeAll(out, encoder.encode(chunk));
      this.bytesWritten += chunk.length;
      await out.sync();
    } finally {
      out.close();
    }
    await Deno.rename(tmp, this.path);
    const dir = await Deno.open(dirname(this.path), { read: true });
    try {
      await dir.sync();
    } finally {
      dir.close();
    }
    this.#file.close();
    this.#file = await Deno.open(this.path, { read: true, write: true });
    await this.#file.seek(0, Deno.SeekMode.End);
    this.#inFile = records.length + this.#pending.length;
    this.compactions++;
    this.#reached(target);
  }

  #reached(seq: number): void {
    this.#synced = seq;
    if (this.#waiters.length === 0) return;
    const still = [];
    for (const w of this.#waiters) {
      if (w.seq <= seq) w.resolve();
      else still.push(w);
    }
    this.#waiters = still;
  }

  #fail(e: unknown): void {
    this.#running = false;
    const err = new Error(`Cannot write journal '${this.path}': ${(e as Error)?.message ?? e}`, {
      cause: e,
    });
    this.#error = err;
    this.#hooks.warn(err.message);
    for (const w of this.#waiters.splice(0)) w.reject(err);
  }

  /** The size of the journal file now, in bytes. */
  size(): number {
    return Deno.statSync(this.path).size;
  }

  /** Closes the file and its lock now, writing nothing more. */
  release(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#file.close();
    this.#lock.close();
  }

  /** Writes what is pending, fsyncs it, and closes the file and its lock. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.durable();
    } finally {
      this.#closed = true;
      this.#file.close();
      this.#lock.close();
    }
  }
}
