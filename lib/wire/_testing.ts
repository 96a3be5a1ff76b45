/**
 * Test helpers for lib/wire: readers over fixed bytes that hand them out
 * whole, byte by byte or at random splits (the framing cases of STYLE C).
 *
 * @module
 */

import { LineReader } from "./line_reader.ts";

/** How to cut the input into reads. */
export type Split = "whole" | "bytes" | "random";

/** Every split mode, for table-driven framing tests. */
export const SPLITS: Split[] = ["whole", "bytes", "random"];

/**
 * A reader over `text` whose reads return it whole, byte by byte, or in
 * pieces of 1 to `maxCut` bytes chosen by a seeded generator (the same
 * seed, the same cuts).
 *
 * @param text The bytes to serve.
 * @param split How to cut them.
 * @param seed The seed of the random cuts.
 * @param maxCut The longest random cut.
 * @returns A {@linkcode LineReader} over them.
 */
export function readerOf(
  text: string | Uint8Array,
  split: Split = "whole",
  seed = 1,
  maxCut = 7,
): LineReader {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  let off = 0;
  let x = seed >>> 0 || 1;
  return new LineReader({
    read(p: Uint8Array) {
      if (off >= bytes.length) return Promise.resolve(null);
      let n = Math.min(p.length, bytes.length - off);
      if (split === "bytes") n = 1;
      if (split === "random") {
        x ^= x << 13;
        x ^= x >>> 17;
        x ^= x << 5;
        n = Math.min(n, 1 + ((x >>> 0) % maxCut));
      }
      p.set(bytes.subarray(off, off + n));
      off += n;
      return Promise.resolve(n);
    },
  });
}
