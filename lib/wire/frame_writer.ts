/**
 * The one ordered writer of a socket: every message and file body goes
 * through it, in the order it was queued, flushed once per tick.
 *
 * @module
 */

import { ConnectionClosedError } from "../errors.ts";
import { type ByteSink, writeAll } from "./line_reader.ts";

const encoder = new TextEncoder();
const COALESCE_LIMIT = 256 * 1024;

type Item =
  | { kind: "bytes"; data: Uint8Array }
  | { kind: "file"; path: string; size: number }
  | { kind: "mark"; resolve: () => void };

/**
 * Queues bytes and file bodies for one connection and writes them in order.
 * `send()` never blocks; small messages queued in the same tick go out in
 * one write. A write error is reported once to `onError` and every later
 * send is dropped.
 *
 * @example
 * ```ts
 * const chunks: string[] = [];
 * const sink = {
 *   write(p: Uint8Array) {
 *     chunks.push(new TextDecoder().decode(p));
 *     return Promise.resolve(p.length);
 *   },
 * };
 * const w = new FrameWriter(sink);
 * w.send("check\n");
 * w.send("exit\n");
 * await w.flushed();
 * console.assert(chunks.join("") === "check\nexit\n");
 * ```
 */
export class FrameWriter {
  #sink: ByteSink;
  #queue: Item[] = [];
  #pumping = false;
  #error: Error | undefined;
  #onError: (e: Error) => void;
  /** Bytes written so far. */
  bytesWritten = 0;

  /**
   * @param sink The socket (or any writer).
   * @param onError Called once with the first write error.
   */
  constructor(sink: ByteSink, onError: (e: Error) => void = () => {}) {
    this.#sink = sink;
    this.#onError = onError;
  }

  /** The first write error, if one happened. */
  get error(): Error | undefined {
    return this.#error;
  }

  /**
   * Queues a message.
   *
   * @param data A line (or lines) of text, or raw bytes.
   */
  send(data: string | Uint8Array): void {
    if (this.#error) return;
    this.#queue.push({
      kind: "bytes",
      data: typeof data === "string" ? encoder.encode(data) : data,
    });
    this.#kick();
  }

  /**
   * Queues exactly `size` bytes of a local file, read as they are written.
   *
   * @param path The file.
   * @param size How many bytes the header announced; a file that is now
   * shorter fails the connection, since the peer expects exactly this many.
   */
  sendFile(path: string, size: number): void {
    if (this.#error) return;
    this.#queue.push({ kind: "file", path, size });
    this.#kick();
  }

  /**
   * Resolves when everything queued before this call has been written (or
   * the writer has failed).
   */
  flushed(): Promise<void> {
    if (this.#error || (!this.#pumping && this.#queue.length === 0)) return Promise.resolve();
    return new Promise((resolve) => {
      this.#queue.push({ kind: "mark", resolve });
      this.#kick();
    });
  }

  /** Fails the writer: pending and later sends are dropped. */
  abort(reason: Error): void {
    this.#fail(reason, false);
  }

  #kick(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    queueMicrotask(() => this.#pump());
  }

  async #pump(): Promise<void> {
    try {
      while (this.#queue.length > 0 && !this.#error) {
        const item = this.#queue[0];
        if (item.kind === "mark") {
          this.#queue.shift();
          item.resolve();
        } else if (item.kind === "file") {
          this.#queue.shift();
          await this.#writeFile(item.path, item.size);
        } else {
          await this.#writeBytes();
        }
      }
    } catch (e) {
      this.#fail(e instanceof Error ? e : new Error(String(e)), true);
    } finally {
      this.#pumping = false;
      if (this.#queue.length > 0 && !this.#error) this.#kick();
    }
  }

  async #writeBytes(): Promise<void> {
    // Coalesce consecutive byte items into one write.
    let n = 0;
    let total = 0;
    while (n < this.#queue.length) {
      const it = this.#queue[n];
      if (it.kind !== "bytes" || (n > 0 && total + it.data.length > COALESCE_LIMIT)) break;
      total += it.data.length;
      n++;
    }
    const items = this.#queue.splice(0, n) as { kind: "bytes"; data: Uint8Array }[];
    let out: Uint8Array;
    if (items.length === 1) {
      out = items[0].data;
    } else {
      out = new Uint8Array(total);
      let off = 0;
      for (const it of items) {
        out.set(it.data, off);
        off += it.data.length;
      }
    }
    await writeAll(this.#sink, out);
    this.bytesWritten += out.length;
  }

  async #writeFile(path: string, size: number): Promise<void> {
    using file = await Deno.open(path, { read: true });
    const buf = new Uint8Array(Math.min(Math.max(size, 1), 256 * 1024));
    let left = size;
    while (left > 0) {
      const n = await file.read(buf.subarray(0, Math.min(left, buf.length)));
      if (n === null) {
        throw new ConnectionClosedError(
          `Cannot send file '${path}': it shrank to ${size - left} of the ${size} bytes announced`,
        );
      }
      await writeAll(this.#sink, buf.subarray(0, n));
      this.bytesWritten += n;
      left -= n;
    }
  }

  #fail(e: Error, report: boolean): void {
    if (this.#error) return;
    this.#error = e;
    for (const it of this.#queue) if (it.kind === "mark") it.resolve();
    this.#queue = [];
    if (report) this.#onError(e);
  }
}
