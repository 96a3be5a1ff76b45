/**
 * Splits a Work Queue byte stream into frames (a header line and the body
 * its length field announces), so that mutations can act on whole messages
 * and fields. Lenient: a frame whose length cannot be read has no body.
 *
 * @module
 */

/** Which side sent a stream. */
export type Direction = "toManager" | "toWorker";

/** One message: `bytes[start, bodyStart)` is the header line with its LF. */
export interface Frame {
  start: number;
  /** Where the body starts (just after the header's LF). */
  bodyStart: number;
  /** Where the frame ends. */
  end: number;
  /** The header line, without its LF, decoded as Latin-1. */
  header: string;
  /** Index of the length field in the header's fields, if it has one. */
  lengthField?: number;
}

/** Index of the length field by first word, per direction. */
const LENGTH_FIELD: Record<Direction, Record<string, number>> = {
  toManager: { result: 3, file: 2, symlink: 2, update: 4 },
  toWorker: { put: 2, cmd: 1, env: 1, symlink: 2, url: 2 },
};

/**
 * Decodes bytes as Latin-1 (one char per byte, reversible).
 *
 * @param b The bytes.
 * @returns The text.
 */
export function latin1(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 8192) {
    s += String.fromCharCode(...b.subarray(i, i + 8192));
  }
  return s;
}

/**
 * Encodes Latin-1 text back into bytes (chars above 0xff are cut to a byte).
 *
 * @param s The text.
 * @returns The bytes.
 */
export function fromLatin1(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/**
 * Where the length field of a header is, if it has one.
 *
 * @param header The header line.
 * @param dir Who sends it.
 * @returns The field index, or `undefined`.
 */
export function lengthFieldOf(header: string, dir: Direction): number | undefined {
  const word = header.split(" ", 1)[0];
  if (dir === "toManager" && (word === "file" || word === "symlink")) {
    return header.split(" ").length - 1; // paths may contain spaces; the length is last
  }
  return LENGTH_FIELD[dir][word];
}

/**
 * Splits a stream into frames.
 *
 * @param bytes The stream.
 * @param dir Who sends it (decides which headers carry bodies).
 * @returns The frames, covering the whole stream in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const f = frames(new TextEncoder().encode("cmd 4\ntrueend\n"), "toWorker");
 * assert.deepEqual(f.map((x) => x.header), ["cmd 4", "end"]);
 * assert.deepEqual([f[0].bodyStart, f[0].end], [6, 10]); // the 4-byte body "true"
 * ```
 */
export function frames(bytes: Uint8Array, dir: Direction): Frame[] {
  const out: Frame[] = [];
  let i = 0;
  while (i < bytes.length) {
    let nl = bytes.indexOf(0x0a, i);
    if (nl < 0) nl = bytes.length - 1;
    const header = latin1(bytes.subarray(i, bytes[nl] === 0x0a ? nl : nl + 1));
    const bodyStart = nl + 1;
    const lf = lengthFieldOf(header, dir);
    let len = 0;
    if (lf !== undefined) {
      const n = Number(header.split(" ")[lf]);
      if (Number.isSafeInteger(n) && n > 0) len = n + (header.startsWith("env ") ? 1 : 0);
    }
    const end = Math.min(bytes.length, bodyStart + len);
    out.push({ start: i, bodyStart, end, header, lengthField: lf });
    i = end;
  }
  return out;
}
