/**
 * The file and directory messages of protocol 9 (spec §4, §4.3): uploads
 * from the manager (`put`, and the recursive `dir` stream of `put`,
 * `symlink`, nested `dir` and `end`), and the worker's reply to `get` (a
 * stream of `file`, `dir` and `missing` entries closed by `end`).
 *
 * ```
 * put <urlenc name> <len> <octal mode>⏎<len bytes>
 * symlink <urlenc name> <len>⏎<len bytes of target>
 * dir <urlenc name>        … entries … end
 *
 * file <path> <len>⏎<len bytes>       (get reply; paths are not encoded)
 * dir <path> 0
 * missing <path> <errno>
 * end
 * ```
 *
 * An upload's names are URL-encoded by the sender and decoded by the
 * receiver (spec: "put_name_is_url_decoded"), and each must be one path
 * component. A reply's paths go raw: the requested name, and below it
 * `/`-separated entries; they may hold spaces, since the length field is
 * the last one.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import {
  cacheNameProblem,
  clip,
  formatMode,
  parseIntField,
  parseMode,
  urlDecode,
  urlEncode,
} from "./protocol.ts";

/** One message of an upload: a top-level `put` or `dir`, or an entry inside a `dir` stream. */
export type UploadEntry =
  /** A file of `length` bytes, whose body follows the line. */
  | { kind: "put"; name: string; length: number; mode: number }
  /** A symbolic link whose target (`length` bytes) follows the line; only inside a `dir` stream. */
  | { kind: "symlink"; name: string; length: number }
  /** A directory whose entries follow, up to its `end`. */
  | { kind: "dir"; name: string }
  /** The end of the directory being sent. */
  | { kind: "end" };

/** One entry of a worker's reply to `get`. */
export type GetReplyEntry =
  /** A regular file of `length` bytes, whose body follows the line. */
  | { kind: "file"; path: string; length: number }
  /** A directory; with a recursive `get` its entries follow. */
  | { kind: "dir"; path: string }
  /** The worker could not read it (`errno` 2: it does not exist). */
  | { kind: "missing"; path: string; errno: number }
  /** A symbolic link, whose target (`length` bytes) follows. Our worker never sends one. */
  | { kind: "symlink"; path: string; length: number }
  /** The end of the reply. */
  | { kind: "end" };

/**
 * The line of an upload message (without the body that follows a `put` or
 * `symlink`). The name is URL-encoded; modes are written as the C manager
 * writes them (`0644`).
 *
 * @param e The entry.
 * @returns The line, with its LF.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(
 *   encodeUploadEntry({ kind: "put", name: "my file.txt", length: 5, mode: 0o644 }),
 *   "put my%20file.txt 5 0644\n",
 * );
 * assert.equal(encodeUploadEntry({ kind: "end" }), "end\n");
 * ```
 */
export function encodeUploadEntry(e: UploadEntry): string {
  switch (e.kind) {
    case "put":
      return `put ${urlEncode(e.name)} ${e.length} ${formatMode(e.mode)}\n`;
    case "symlink":
      return `symlink ${urlEncode(e.name)} ${e.length}\n`;
    case "dir":
      return `dir ${urlEncode(e.name)}\n`;
    case "end":
      return "end\n";
  }
}

/**
 * Parses an upload message: a top-level `put`/`dir` or a line inside a
 * `dir` stream. Names are decoded and must be one path component (not
 * empty, `.` or `..`).
 *
 * @param line The line, without its LF.
 * @returns The entry, or `undefined` if the line is none of the four.
 * @throws {ProtocolError} If it is one of them but malformed, or a name is unsafe.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseUploadEntry("put in%2520file.txt 3 0644"), {
 *   kind: "put",
 *   name: "in%20file.txt", // decoded once, as CCTools' worker does
 *   length: 3,
 *   mode: 0o644,
 * });
 * assert.throws(() => parseUploadEntry("put ..%2Fevil 3 0644"));
 * ```
 */
export function parseUploadEntry(line: string): UploadEntry | undefined {
  const w = line.split(" ");
  switch (w[0]) {
    case "end":
      return END;
    case "put":
      return {
        kind: "put",
        name: entryName(w[1], line),
        length: parseLength(w[2], line),
        mode: parseMode(w[3], line),
      };
    case "symlink":
      return { kind: "symlink", name: entryName(w[1], line), length: parseLength(w[2], line) };
    case "dir":
      return { kind: "dir", name: entryName(w[1], line) };
    default:
      return undefined;
  }
}

const END: { kind: "end" } = Object.freeze({ kind: "end" });

/**
 * The line of a `get` reply entry (without the body that follows a `file`
 * or `symlink`). Paths go raw; they must not hold a line break.
 *
 * @param e The entry.
 * @returns The line, with its LF.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(encodeGetReplyEntry({ kind: "dir", path: "out/sub" }), "dir out/sub 0\n");
 * assert.equal(encodeGetReplyEntry({ kind: "missing", path: "x", errno: 2 }), "missing x 2\n");
 * ```
 */
export function encodeGetReplyEntry(e: GetReplyEntry): string {
  switch (e.kind) {
    case "file":
      return `file ${e.path} ${e.length}\n`;
    case "dir":
      return `dir ${e.path} 0\n`;
    case "missing":
      return `missing ${e.path} ${e.errno}\n`;
    case "symlink":
      return `symlink ${e.path} ${e.length}\n`;
    case "end":
      return "end\n";
  }
}

const ENTRY = /^(file|dir|missing|symlink) (.+) (-?\d{1,18})$/;

/**
 * Parses one line of a `get` reply. The path is everything between the
 * keyword and the last field, so it may hold spaces; `end` must stand
 * alone. Whether the path is safe to write is the reader's business.
 *
 * @param line The line, without its LF.
 * @returns The entry.
 * @throws {ProtocolError} If the line is not an entry, or a body length is
 * negative or too large, so that the stream cannot be followed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseGetReplyEntry("file out/my file.txt 2"), {
 *   kind: "file",
 *   path: "out/my file.txt",
 *   length: 2,
 * });
 * assert.deepEqual(parseGetReplyEntry("end"), { kind: "end" });
 * ```
 */
export function parseGetReplyEntry(line: string): GetReplyEntry {
  if (line === "end") return END;
  const m = ENTRY.exec(line);
  if (!m) {
    throw new ProtocolError(`Cannot handle message '${clip(line)}' in a reply to 'get'`);
  }
  const [, kind, path, num] = m;
  const n = Number(num);
  if ((kind === "file" || kind === "symlink") && (n < 0 || !Number.isSafeInteger(n))) {
    throw new ProtocolError(`Cannot read ${kind} entry '${clip(line)}': bad length ${num}`);
  }
  switch (kind) {
    case "file":
      return { kind, path, length: n };
    case "symlink":
      return { kind, path, length: n };
    case "dir":
      return { kind, path };
    default:
      return { kind: "missing", path, errno: n };
  }
}

/** A decoded name: one path component. */
function entryName(field: string | undefined, line: string): string {
  const name = urlDecode(field ?? "");
  const problem = cacheNameProblem(name);
  if (problem) {
    throw new ProtocolError(`Cannot use name '${clip(name)}' in '${clip(line)}': ${problem}`);
  }
  return name;
}

function parseLength(field: string | undefined, line: string): number {
  const n = parseIntField(field, "length", line);
  if (n < 0) throw new ProtocolError(`Cannot parse length in '${clip(line)}': it is negative`);
  return n;
}
