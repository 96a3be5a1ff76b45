/**
 * Mutations of recorded protocol streams: truncation, changed length
 * fields, swapped/dropped/duplicated messages and fields, flipped bytes,
 * over-long lines, NULs, unsafe names and foreign messages.
 *
 * @module
 */

import { type Direction, type Frame, frames, fromLatin1, latin1 } from "./frames.ts";
import type { Rng } from "./rng.ts";

/** A name that marks a write outside the sandbox if it ever appears. */
export const ESCAPE_MARK = "wqfuzz-escape";
/** A directory that must never exist: symlink targets point into it. */
export const TRAP_DIR = "/nonexistent-wqfuzz-trap";

/** Names that try to leave a directory; `NAME` is replaced by a real name. */
const UNSAFE_NAMES = [
  "..",
  ".",
  "",
  "/",
  "//",
  `../${ESCAPE_MARK}`,
  `../../../../${ESCAPE_MARK}`,
  `/tmp/${ESCAPE_MARK}`,
  `${TRAP_DIR}/x`,
  `a/../../${ESCAPE_MARK}`,
  `%2e%2e%2f${ESCAPE_MARK}`,
  `%2Ftmp%2F${ESCAPE_MARK}`,
  `..%2F..%2F${ESCAPE_MARK}`,
  "a\u0000b",
  "a%00b",
  `NAME/../../${ESCAPE_MARK}`,
  `NAME/../${ESCAPE_MARK}`,
  `NAME/`,
  `NAME/.`,
  `NAME/..`,
  `NAME//tmp/${ESCAPE_MARK}`,
  `NAME/sub/../../../${ESCAPE_MARK}`,
  `NAME/a\u0000b`,
  `NAMEx/${ESCAPE_MARK}`,
];

/** Replacement values for a length field. */
function newLength(rng: Rng, n: number): string {
  switch (rng.int(14)) {
    case 0:
      return String(n + rng.range(1, 16));
    case 1:
      return String(Math.max(0, n - rng.range(1, 16)));
    case 2:
      return "0";
    case 3:
      return String(n * 2 + 1);
    case 4:
      return String(Math.floor(n / 2));
    case 5:
      return "-1";
    case 6:
      return String(-n - 1);
    case 7:
      return "2147483648";
    case 8:
      return "9007199254740993";
    case 9:
      return "999999999999999999";
    case 10:
      return "99999999999999999999999";
    case 11:
      return rng.pick(["abc", "", "1e3", "+5", "0x10", " 5", "5 ", "1.5", "NaN", "-0"]);
    case 12:
      return String(rng.range(1, 70000));
    default:
      return String(n + 1);
  }
}

function replaceRange(b: Uint8Array, from: number, to: number, mid: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length - (to - from) + mid.length);
  out.set(b.subarray(0, from));
  out.set(mid, from);
  out.set(b.subarray(to), from + mid.length);
  return out;
}

function setHeader(b: Uint8Array, f: Frame, header: string): Uint8Array {
  const lf = b[f.bodyStart - 1] === 0x0a ? 1 : 0;
  return replaceRange(b, f.start, f.bodyStart - lf, fromLatin1(header));
}

/** A printable run of `n` bytes. */
function longText(rng: Rng, n: number): Uint8Array {
  const out = new Uint8Array(n);
  const c = rng.range(0x21, 0x7e);
  out.fill(c);
  return out;
}

/** What a mutation did, for the report of a finding. */
export interface Mutated {
  chunks: Uint8Array[];
  ops: string[];
}

/** Options for {@linkcode mutate}. */
export interface MutateOptions {
  /** Who sends the stream. */
  dir: Direction;
  /** Headers from other sessions, spliced in by one of the mutations. */
  foreign: string[];
  /** Most mutations applied (default 4). */
  maxOps?: number;
}

/**
 * Applies 1 to `maxOps` random mutations to a chunked stream.
 *
 * @param rng The case's random generator.
 * @param chunks The stream, in the chunks its sender would send.
 * @param options Direction and material for splicing.
 * @returns The new chunks and the names of the mutations applied.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "./rng.ts";
 * const stream = [new TextEncoder().encode("cmd 4\ntrueend\n")];
 * const m = mutate(new Rng(1), stream, { dir: "toWorker", foreign: [] });
 * assert.ok(m.ops.length >= 1 && m.ops.length <= 4, `${m.ops}`);
 * assert.notDeepEqual(m.chunks, stream);
 * // The same seed mutates the same way, so a finding can be replayed.
 * assert.deepEqual(mutate(new Rng(1), stream, { dir: "toWorker", foreign: [] }), m);
 * ```
 */
export function mutate(rng: Rng, chunks: Uint8Array[], options: MutateOptions): Mutated {
  const out = chunks.map((c) => c.slice());
  const ops: string[] = [];
  const n = rng.range(1, options.maxOps ?? 4);
  for (let k = 0; k < n && out.length > 0; k++) {
    const ci = rng.int(out.length);
    const op = mutateOne(rng, out, ci, options);
    if (op) ops.push(`${op}@${ci}`);
  }
  return { chunks: out.filter((c) => c.length > 0), ops };
}

function mutateOne(
  rng: Rng,
  chunks: Uint8Array[],
  ci: number,
  o: MutateOptions,
): string | undefined {
  let b = chunks[ci];
  const fs = frames(b, o.dir);
  const f = fs.length ? rng.pick(fs) : undefined;
  const kind = rng.int(17);
  switch (kind) {
    case 0: { // truncate here and drop the rest of the stream
      chunks[ci] = b.slice(0, rng.int(b.length + 1));
      chunks.length = ci + 1;
      return "truncate";
    }
    case 1:
    case 2: { // change a length field
      const withLen = fs.filter((x) => x.lengthField !== undefined);
      if (!withLen.length) return undefined;
      const g = rng.pick(withLen);
      const w = g.header.split(" ");
      const i = g.lengthField!;
      w[i] = newLength(rng, Number(w[i]) || 0);
      chunks[ci] = setHeader(b, g, w.join(" "));
      return "length";
    }
    case 3: { // swap two frames
      if (fs.length < 2) return undefined;
      const i = rng.int(fs.length - 1);
      const j = rng.chance(0.6) ? i + 1 : rng.range(i + 1, fs.length - 1);
      const [x, y] = [fs[i], fs[j]];
      const parts = [
        b.subarray(0, x.start),
        b.subarray(y.start, y.end),
        b.subarray(x.end, y.start),
        b.subarray(x.start, x.end),
        b.subarray(y.end),
      ];
      chunks[ci] = joinParts(parts);
      return "swap-frames";
    }
    case 4: { // drop a frame
      if (!f) return undefined;
      chunks[ci] = replaceRange(b, f.start, f.end, new Uint8Array(0));
      return "drop-frame";
    }
    case 5: { // duplicate a frame
      if (!f) return undefined;
      chunks[ci] = replaceRange(b, f.end, f.end, b.slice(f.start, f.end));
      return "dup-frame";
    }
    case 6: { // swap, drop or duplicate fields of a header
      if (!f) return undefined;
      const w = f.header.split(" ");
      if (w.length < 2) return undefined;
      const i = rng.int(w.length);
      const j = rng.int(w.length);
      const how = rng.int(3);
      if (how === 0) [w[i], w[j]] = [w[j], w[i]];
      else if (how === 1) w.splice(i, 1);
      else w.splice(i, 0, w[j]);
      chunks[ci] = setHeader(b, f, w.join(" "));
      return ["swap-fields", "drop-field", "dup-field"][how];
    }
    case 7:
    case 8: { // flip bits or replace bytes
      if (!b.length) return undefined;
      b = b.slice();
      for (let k = rng.range(1, 4); k > 0; k--) {
        const i = rng.int(b.length);
        b[i] = rng.chance(0.5) ? b[i] ^ (1 << rng.int(8)) : rng.int(256);
      }
      chunks[ci] = b;
      return "flip";
    }
    case 9: { // an over-long line
      const at = f ? (rng.chance(0.5) ? f.start : f.bodyStart - 1) : 0;
      const len = rng.pick([4095, 4096, 4097, 8191, 8192, rng.range(4000, 70000)]);
      const line = longText(rng, len);
      const mid = rng.chance(0.7) ? joinParts([line, new Uint8Array([0x0a])]) : line;
      chunks[ci] = replaceRange(b, at, at, mid);
      return "long-line";
    }
    case 10: { // NULs in a header
      if (!f) return undefined;
      const at = rng.range(f.start, Math.max(f.start, f.bodyStart - 1));
      chunks[ci] = replaceRange(b, at, at, new Uint8Array(rng.range(1, 3)));
      return "nul";
    }
    case 11: { // random bytes
      const at = rng.int(b.length + 1);
      chunks[ci] = replaceRange(b, at, at, rng.bytes(rng.range(1, 64)));
      return "random-bytes";
    }
    case 12:
    case 13: { // an unsafe name in a name field
      const named = fs.filter((x) => nameFields(x.header, o.dir).length > 0);
      if (!named.length) return undefined;
      const g = rng.pick(named);
      const w = g.header.split(" ");
      const i = rng.pick(nameFields(g.header, o.dir));
      const real = w[i].split("/")[0];
      w[i] = rng.pick(UNSAFE_NAMES).replaceAll("NAME", real);
      chunks[ci] = setHeader(b, g, w.join(" "));
      return "unsafe-name";
    }
    case 14: { // a symbolic link entry
      const at = f ? f.end : 0;
      const target = o.dir === "toWorker"
        ? `${TRAP_DIR}/${rng.pick(["x", "y/z", ""])}`
        : rng.pick(["/tmp", "..", "../../..", `/tmp/${ESCAPE_MARK}`, "sub"]);
      let name = rng.pick(["sub", "a.txt", "link", "..", "out.txt"]);
      if (o.dir === "toManager") {
        const prior = fs.find((x) => /^(file|dir) /.test(x.header));
        const base = prior ? prior.header.split(" ")[1].split("/")[0] : "out";
        name = `${base}/${name}`;
      }
      chunks[ci] = replaceRange(
        b,
        at,
        at,
        fromLatin1(`symlink ${name} ${target.length}\n${target}`),
      );
      return "symlink";
    }
    case 15: { // a header from another session
      if (!o.foreign.length) return undefined;
      const at = f ? (rng.chance(0.5) ? f.start : f.end) : 0;
      chunks[ci] = replaceRange(b, at, at, fromLatin1(rng.pick(o.foreign) + "\n"));
      return "splice";
    }
    default: { // CRs and line-ending games
      if (!f) return undefined;
      const lfAt = f.bodyStart - 1;
      if (b[lfAt] !== 0x0a) return undefined;
      const mid = rng.pick([[0x0d, 0x0a], [0x0d], [0x0a, 0x0a], []]);
      chunks[ci] = replaceRange(b, lfAt, lfAt + 1, new Uint8Array(mid));
      return "line-end";
    }
  }
}

/** Indexes of the fields that hold a file or cache name. */
function nameFields(header: string, dir: Direction): number[] {
  const w = header.split(" ");
  if (w.length < 2) return [];
  if (dir === "toManager") return /^(file|dir|missing)$/.test(w[0]) ? [1] : [];
  if (/^(put|dir|get|unlink|symlink|url)$/.test(w[0])) return [1];
  if (/^(infile|outfile)$/.test(w[0])) return w.length > 2 ? [1, 2] : [1];
  return [];
}

function joinParts(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * Every header of a set of sessions' streams in one direction (material for
 * splicing).
 *
 * @param streams Chunked streams.
 * @param dir Their direction.
 * @returns The header lines.
 */
export function headersOf(streams: Uint8Array[][], dir: Direction): string[] {
  const out = new Set<string>();
  for (const s of streams) for (const c of s) for (const f of frames(c, dir)) out.add(f.header);
  return [...out].filter((h) => h.length > 0 && h.length < 200);
}

export { latin1 };
