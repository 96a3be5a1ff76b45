/**
 * Test helpers for lib/worker: in-memory byte sources and sinks.
 *
 * @module
 */

import { LineReader } from "../wire/line_reader.ts";

/** How to cut the input into reads. */
export type Split = "whole" | "bytes" | "random";

/**
 * A reader over `text` whose reads return it whole, byte by byte, or at
 * random split points.
 *
 * @param text The bytes to serve.
 * @param split How to cut them.
 * @returns A {@linkcode LineReader} over them.
 */
export function readerOf(text: string | Uint8Array, split: Split = "whole"): LineReader {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  let off = 0;
  return new LineReader({
    read(p: Uint8Array) {
      if (off >= bytes.length) return Promise.resolve(null);
      let n = Math.min(p.length, bytes.length - off);
      if (split === "bytes") n = 1;
      if (split === "random") n = Math.max(1, Math.min(n, Math.floor(Math.random() * 7)));
      p.set(bytes.subarray(off, off + n));
      off += n;
      return Promise.resolve(n);
    },
  });
}

/** A sink that keeps everything written, as text. */
export class MemorySink {
  #chunks: Uint8Array[] = [];

  /** Takes all of `p`. */
  write(p: Uint8Array): Promise<number> {
    this.#chunks.push(p.slice());
    return Promise.resolve(p.length);
  }

  /** Everything written so far. */
  text(): string {
    const total = this.#chunks.reduce((n, c) => n + c.length, 0);
    const all = new Uint8Array(total);
    let off = 0;
    for (const c of this.#chunks) {
      all.set(c, off);
      off += c.length;
    }
    return new TextDecoder().decode(all);
  }
}

/** Every split mode, for table-driven framing tests. */
export const SPLITS: Split[] = ["whole", "bytes", "random"];
