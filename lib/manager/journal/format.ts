/**
 * The journal's file format: a header line, then one record per line, each
 * `CRC32 JSON` (the CRC-32 of the JSON text, 8 hex digits). The checksum
 * tells a torn write from corruption: bad bytes at the very end (nothing
 * valid after them) are a record cut short by a crash, and are dropped; a
 * bad record followed by a valid one is corruption, and the journal is
 * refused. See docs/journal.md.
 *
 * @module
 */

import type { JournalRecord } from "./records.ts";

/** The first line of every journal: the program and the format's version. */
export const HEADER = "#wq-journal 1 work-queue-for-deno\n";
/** What starts the header of any version. */
const HEADER_PREFIX = "#wq-journal ";
/** The version this code reads and writes. */
export const JOURNAL_VERSION = 1;

/** The kinds of record this version writes. */
const OPS: ReadonlySet<string> = new Set([
  "base",
  "submit",
  "dispatch",
  "complete",
  "cancel",
  "deliver",
  "keys",
]);

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/**
 * The CRC-32 (IEEE) of some bytes.
 *
 * @param bytes The bytes.
 * @returns The checksum, an unsigned 32-bit number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
 * ```
 */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The CRC-32 of a string's UTF-8 bytes, without making them.
 *
 * @param text The text.
 * @returns The same as `crc32(new TextEncoder().encode(text))`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * for (const t of ["123456789", "é", "€", "😀", "a\ud800b"]) {
 *   assert.equal(crc32Text(t), crc32(new TextEncoder().encode(t)));
 * }
 * ```
 */
export function crc32Text(text: string): number {
  let c = 0xffffffff;
  const T = CRC_TABLE;
  for (let i = 0; i < text.length; i++) {
    let u = text.charCodeAt(i);
    if (u < 0x80) {
      c = T[(c ^ u) & 0xff] ^ (c >>> 8);
      continue;
    }
    if (u >= 0xd800 && u < 0xdc00 && i + 1 < text.length) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo < 0xe000) {
        u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    if (u >= 0xd800 && u < 0xe000) u = 0xfffd; // a lone surrogate, as TextEncoder writes it
    const bytes = u < 0x800
      ? [0xc0 | (u >> 6), 0x80 | (u & 63)]
      : u < 0x10000
      ? [0xe0 | (u >> 12), 0x80 | ((u >> 6) & 63), 0x80 | (u & 63)]
      : [0xf0 | (u >> 18), 0x80 | ((u >> 12) & 63), 0x80 | ((u >> 6) & 63), 0x80 | (u & 63)];
    for (const b of bytes) c = T[(c ^ b) & 0xff] ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * One record as a line of the journal.
 *
 * @param record The record.
 * @returns `CRC32 JSON\n`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.match(encodeRecord({ op: "deliver", id: 7 }), /^[0-9a-f]{8} \{"op":"deliver","id":7\}\n$/);
 * ```
 */
export function encodeRecord(record: JournalRecord): string {
  const json = JSON.stringify(record);
  return `${crc32Text(json).toString(16).padStart(8, "0")} ${json}\n`;
}

/** What {@linkcode parseJournal} read. */
export interface ParsedJournal {
  /** The valid records, in order. */
  records: JournalRecord[];
  /** The offset just past the last valid record: the file's length unless its end was torn. */
  end: number;
  /** Bytes dropped at the end (a record cut short by a crash), if any. */
  torn: number;
}

function problem(path: string, offset: number, what: string): SyntaxError {
  return new SyntaxError(
    `Cannot open journal '${path}': ${what} at offset ${offset}; the file was left as it is`,
  );
}

/** The record of one line (without its LF), or why it is no good. */
function parseLine(line: Uint8Array): JournalRecord | string {
  if (line.length < 10 || line[8] !== 0x20) return "a malformed record";
  let text: string;
  try {
    text = decoder.decode(line);
  } catch {
    return "a record that is not UTF-8";
  }
  const sum = parseInt(text.slice(0, 8), 16);
  if (!/^[0-9a-f]{8}$/.test(text.slice(0, 8))) return "a malformed record";
  const json = line.subarray(9);
  if (crc32(json) !== sum) return "a record whose checksum does not match";
  try {
    const r = JSON.parse(text.slice(9));
    if (typeof r !== "object" || r === null || typeof r.op !== "string") {
      return "a record without an op";
    }
    return r as JournalRecord;
  } catch {
    return "a record that is not JSON";
  }
}

/** Whether bad bytes hold a whole valid record after their start (so they are no tear). */
function holdsRecord(tail: Uint8Array): boolean {
  const text = new TextDecoder().decode(tail);
  for (const m of text.matchAll(/[0-9a-f]{8} \{/g)) {
    if (m.index === 0) continue;
    const rest = text.slice(m.index).split("\n")[0];
    if (typeof parseLine(encoder.encode(rest)) !== "string") return true;
  }
  return false;
}

/**
 * Reads a journal's bytes: checks the header, checks every record, and
 * tells a torn end (dropped) from corruption (refused).
 *
 * @param bytes The whole file.
 * @param path Its path, for the messages.
 * @returns The records, and where the valid part ends.
 * @throws {SyntaxError} For another program's file, another version, or a
 * corrupt record, naming the file and the offset.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const good = HEADER + encodeRecord({ op: "deliver", id: 1 });
 * const bytes = new TextEncoder().encode(good + "0123abcd {\"op\":");
 * const j = parseJournal(bytes, "run.wqj");
 * assert.equal(j.records.length, 1);
 * assert.equal(j.end, good.length);
 * assert.equal(j.torn, 15);
 * assert.throws(() => parseJournal(new TextEncoder().encode("hello\n"), "x"), /offset 0/);
 * ```
 */
export function parseJournal(bytes: Uint8Array, path: string): ParsedJournal {
  const header = encoder.encode(HEADER);
  const nl = bytes.indexOf(0x0a);
  if (nl < 0) {
    // A header cut short by a crash while the journal was created.
    const prefix = bytes.every((b, i) => b === header[i]) && bytes.length < header.length;
    if (prefix) return { records: [], end: 0, torn: bytes.length };
    throw problem(path, 0, "not a journal of this program (no header line)");
  }
  const first = new TextDecoder().decode(bytes.subarray(0, nl + 1));
  if (first !== HEADER) {
    if (first.startsWith(HEADER_PREFIX)) {
      const version = first.slice(HEADER_PREFIX.length).split(" ")[0];
      throw problem(
        path,
        0,
        `a journal of version '${version}', and this manager reads version ${JOURNAL_VERSION}`,
      );
    }
    throw problem(path, 0, `not a journal of this program (header '${first.trim().slice(0, 40)}')`);
  }
  const records: JournalRecord[] = [];
  let at = nl + 1;
  let bad: { offset: number; why: string } | undefined;
  while (at < bytes.length) {
    const end = bytes.indexOf(0x0a, at);
    if (end < 0) {
      bad ??= { offset: at, why: "a record cut short" };
      break;
    }
    const r = parseLine(bytes.subarray(at, end));
    if (typeof r === "string") bad ??= { offset: at, why: r };
    else if (!OPS.has(r.op)) throw problem(path, at, `a record of unknown kind '${r.op}'`);
    else if (bad) throw problem(path, bad.offset, `${bad.why}, followed by valid records`);
    else records.push(r);
    at = end + 1;
  }
  if (bad && holdsRecord(bytes.subarray(bad.offset))) {
    // A line break lost inside: a valid record follows bad bytes.
    throw problem(path, bad.offset, `${bad.why}, followed by valid records`);
  }
  const end = bad ? bad.offset : bytes.length;
  return { records, end, torn: bytes.length - end };
}
