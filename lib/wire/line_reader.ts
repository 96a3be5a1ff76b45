/**
 * Buffered reader for the Work Queue framing: LF-terminated ASCII lines of
 * bounded length, followed by exact-length raw bodies.
 *
 * @module
 */

import { ConnectionClosedError, ProtocolError } from "../errors.ts";
import { startsLikeTls, TLS_MISMATCH } from "./tls_sniff.ts";

/** Anything with Deno's `read()` contract: `Deno.Conn`, `Deno.TlsConn`, `Deno.FsFile`. */
export interface ByteSource {
  /** Reads into `p`; resolves the count read, or `null` at end of stream. */
  read(p: Uint8Array): Promise<number | null>;
}

/** Anything with Deno's `write()` contract (it may write only part of `p`). */
export interface ByteSink {
  /** Writes from `p`; resolves the count written. */
  write(p: Uint8Array): Promise<number>;
}

/** Options for {@linkcode LineReader}. */
export interface LineReaderOptions {
  /** The longest line accepted, terminator included. Default 4096 (WORK_QUEUE_LINE_MAX). */
  maxLine?: number;
  /**
   * Size of the internal buffer. Default 64 KiB. It starts at 1 KiB (a
   * manager holds one per worker: 10,000 workers hold 10 MiB), doubles while a
   * line does not fit (up to twice the line bound), and grows to this size at
   * the first body longer than what it holds.
   */
  bufferSize?: number;
}

const LF = 0x0a;
const CR = 0x0d;
/** The buffer's size until a line or a body needs more. */
const FIRST_BUFFER = 1024;
const decoder = new TextDecoder();

/** Writes all of `p` to `sink`, looping over partial writes. */
export async function writeAll(sink: ByteSink, p: Uint8Array): Promise<void> {
  let off = 0;
  while (off < p.length) off += await sink.write(off === 0 ? p : p.subarray(off));
}

/**
 * Reads lines and exact-length bodies from a byte source, with one buffer and
 * a bound on every line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const bytes = new TextEncoder().encode("put a 3 0644\nabcend\n");
 * let done = false;
 * const src = {
 *   read(p: Uint8Array) {
 *     if (done) return Promise.resolve(null);
 *     done = true;
 *     p.set(bytes);
 *     return Promise.resolve(bytes.length);
 *   },
 * };
 * const r = new LineReader(src);
 * assert.equal(await r.readLine(), "put a 3 0644");
 * assert.equal(new TextDecoder().decode(await r.readExact(3)), "abc");
 * assert.equal(await r.readLine(), "end");
 * assert.equal(await r.readLine(), null);
 * ```
 */
export class LineReader {
  #src: ByteSource;
  #buf: Uint8Array;
  #bufferSize: number;
  #start = 0;
  #end = 0;
  #eof = false;
  #maxLine: number;
  /** Bytes consumed from the source so far. */
  bytesRead = 0;

  /**
   * @param src Where the bytes come from.
   * @param options Line bound and buffer size.
   */
  constructor(src: ByteSource, options: LineReaderOptions = {}) {
    this.#src = src;
    this.#maxLine = options.maxLine ?? 4096;
    this.#bufferSize = Math.max(options.bufferSize ?? 65536, this.#maxLine * 2);
    this.#buf = new Uint8Array(Math.min(FIRST_BUFFER, this.#maxLine * 2));
  }

  /** How many bytes are buffered and not yet consumed. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /**
   * Returns the next line if it is already buffered, without waiting.
   *
   * @returns The line without its LF (and with CRs dropped), or `undefined`.
   * @throws {ProtocolError} If the buffered line is longer than the bound, or
   * the stream starts with a TLS record (a TLS peer on a plain connection).
   */
  bufferedLine(): string | undefined {
    const start = this.#start;
    if (
      this.bytesRead === this.#end - start && startsLikeTls(this.#buf.subarray(start, start + 2))
    ) {
      throw new ProtocolError(`Cannot read line: ${TLS_MISMATCH}`);
    }
    // Searched in place: no view is made per line.
    const buf = this.#buf;
    const end = this.#end;
    let nl = start;
    while (nl < end && buf[nl] !== LF) nl++;
    const i = nl === end ? -1 : nl - start;
    if (i < 0) {
      if (this.#end - start >= this.#maxLine) this.#tooLong();
      return undefined;
    }
    if (nl - start + 1 > this.#maxLine) this.#tooLong();
    this.#start = nl + 1;
    let line = this.#buf.subarray(start, nl);
    if (line.includes(CR)) line = line.filter((b) => b !== CR);
    return decoder.decode(line);
  }

  /**
   * Reads the next line.
   *
   * @returns The line without its LF, or `null` at a clean end of stream.
   * @throws {ProtocolError} If a line is too long or the stream ends inside one.
   */
  async readLine(): Promise<string | null> {
    for (;;) {
      const line = this.bufferedLine();
      if (line !== undefined) return line;
      if (!(await this.#fill())) {
        if (this.#end === this.#start) return null;
        throw new ConnectionClosedError(
          `Cannot read line: the stream ended after ${
            this.#end - this.#start
          } bytes of an unfinished line`,
        );
      }
    }
  }

  /**
   * Reads exactly `n` bytes into a new array.
   *
   * @param n How many bytes; it must be at most `max`.
   * @param max The bound on `n` the caller accepts.
   * @throws {ProtocolError} If `n` is over `max` or the stream ends early.
   */
  async readExact(n: number, max = 1 << 20): Promise<Uint8Array> {
    if (!Number.isSafeInteger(n) || n < 0 || n > max) {
      throw new ProtocolError(`Cannot read body: length ${n} is outside 0..${max}`);
    }
    const out = new Uint8Array(n);
    if (n > this.#buf.length - this.#end) this.#grow();
    let got = 0;
    while (got < n) {
      if (this.#end === this.#start && !(await this.#fill())) {
        throw new ConnectionClosedError(
          `Cannot read body: the stream ended after ${got} of ${n} bytes`,
        );
      }
      const take = Math.min(n - got, this.#end - this.#start);
      out.set(this.#buf.subarray(this.#start, this.#start + take), got);
      this.#start += take;
      got += take;
    }
    return out;
  }

  /**
   * Streams exactly `n` bytes to `sink` (or discards them when `sink` is
   * `null`), never holding more than the buffer.
   *
   * @param n How many bytes.
   * @param sink Where they go.
   * @throws {ConnectionClosedError} If the stream ends early.
   */
  async copyTo(n: number, sink: ByteSink | null): Promise<void> {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new ProtocolError(`Cannot read body: length ${n} is not a byte count`);
    }
    let left = n;
    if (left > this.#buf.length - this.#end) this.#grow();
    while (left > 0) {
      if (this.#end === this.#start) {
        // Read large bodies straight through the buffer from its start.
        this.#start = this.#end = 0;
        if (!(await this.#fill())) {
          throw new ConnectionClosedError(
            `Cannot read body: the stream ended after ${n - left} of ${n} bytes`,
          );
        }
      }
      const take = Math.min(left, this.#end - this.#start);
      if (sink) await writeAll(sink, this.#buf.subarray(this.#start, this.#start + take));
      this.#start += take;
      left -= take;
    }
  }

  /** Grows the buffer to its full size (once), keeping what it holds. */
  #grow(): void {
    if (this.#buf.length < this.#bufferSize) this.#resize(this.#bufferSize);
  }

  #resize(size: number): void {
    const bigger = new Uint8Array(size);
    bigger.set(this.#buf.subarray(this.#start, this.#end));
    this.#end -= this.#start;
    this.#start = 0;
    this.#buf = bigger;
  }

  #tooLong(): never {
    throw new ProtocolError(`Cannot read line: it is longer than ${this.#maxLine} bytes`);
  }

  async #fill(): Promise<boolean> {
    if (this.#eof) return false;
    if (this.#start === this.#end) {
      this.#start = this.#end = 0;
    } else if (this.#end === this.#buf.length) {
      if (this.#start === 0) {
        // An unfinished line fills the buffer: double it (the line bound stops it).
        this.#resize(Math.min(this.#bufferSize, this.#buf.length * 2));
      } else {
        this.#buf.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      }
    }
    // Most reads start on an empty buffer: no view is made for them.
    const n = await this.#src.read(this.#end === 0 ? this.#buf : this.#buf.subarray(this.#end));
    if (n === null) {
      this.#eof = true;
      return false;
    }
    this.#end += n;
    this.bytesRead += n;
    return true;
  }
}
