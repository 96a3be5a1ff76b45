/**
 * The line protocol between our worker and a library process
 * (`lib/worker/library/`): one request line per call on the process's
 * stdin, one response line per call on its stdout, in any order.
 *
 * ```
 * →L <id> <function> <directory or -> <arguments JSON>
 * →W ready                        (once the module is imported)
 * →W load-error <error JSON>      (or this, and the process ends)
 * →W <id> <envelope JSON>         ({"value":…} or {"error":…}, function_call.ts)
 * ```
 *
 * @module
 */

import type { CallError } from "./function_call.ts";

/** A call, as the worker sends it to a library process. */
export interface LibraryRequest {
  /** The call's number in that process. */
  id: number;
  /** The function. */
  fn: string;
  /** The call's own directory, relative to the library's sandbox (no spaces), if it has files. */
  dir?: string;
  /** The arguments' JSON (one line: JSON has no raw line breaks). */
  args: string;
}

/**
 * The request line the worker writes to a library process:
 * `<id> <function> <directory or -> <arguments>`.
 *
 * @param r The call.
 * @returns The line, with its LF.
 * @throws {RangeError} If the directory has a space or a line break.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(encodeLibraryRequest({ id: 3, fn: "add", args: "[1,2]" }), "3 add - [1,2]\n");
 * const line = encodeLibraryRequest({ id: 4, fn: "f", dir: "call.4", args: "[]" });
 * assert.deepEqual(parseLibraryRequest(line.trimEnd()), { id: 4, fn: "f", dir: "call.4", args: "[]" });
 * ```
 */
export function encodeLibraryRequest(r: LibraryRequest): string {
  if (r.dir !== undefined && (r.dir === "-" || /[\s]/.test(r.dir))) {
    throw new RangeError(`Cannot send call ${r.id}: its directory '${r.dir}' has a space`);
  }
  return `${r.id} ${r.fn} ${r.dir ?? "-"} ${r.args}\n`;
}

/**
 * Reads a request line (in the library process).
 *
 * @param line The line, without its LF.
 * @returns The call, or `undefined` for a line that is not one.
 */
export function parseLibraryRequest(line: string): LibraryRequest | undefined {
  const a = line.indexOf(" ");
  const b = line.indexOf(" ", a + 1);
  const c = line.indexOf(" ", b + 1);
  if (a < 1 || b < 0 || c < 0) return undefined;
  const id = Number(line.slice(0, a));
  if (!Number.isSafeInteger(id)) return undefined;
  const dir = line.slice(b + 1, c);
  const r: LibraryRequest = { id, fn: line.slice(a + 1, b), args: line.slice(c + 1) };
  if (dir !== "-") r.dir = dir;
  return r;
}

/**
 * The line a library process answers with: `<id> <envelope JSON>`; or
 * `ready`, once its module is imported; or `load-error <error JSON>`.
 *
 * @param id The call's number.
 * @param envelope Its envelope's JSON.
 * @returns The line, with its LF.
 */
export function encodeLibraryResponse(id: number, envelope: string): string {
  return `${id} ${envelope}\n`;
}

/**
 * Reads a line from a library process.
 *
 * @param line The line, without its LF.
 * @returns What it says, or `undefined` for a line that is none of these
 * (something the library itself wrote to stdout).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseLibraryResponse('4 {"value":1}'), { kind: "result", id: 4, envelope: '{"value":1}' });
 * assert.deepEqual(parseLibraryResponse("ready"), { kind: "ready" });
 * assert.equal(parseLibraryResponse("hello"), undefined);
 * ```
 */
export function parseLibraryResponse(
  line: string,
):
  | { kind: "result"; id: number; envelope: string }
  | { kind: "ready" }
  | { kind: "load-error"; error: CallError }
  | undefined {
  if (line === "ready") return { kind: "ready" };
  if (line.startsWith("load-error ")) {
    try {
      return { kind: "load-error", error: JSON.parse(line.slice(11)) };
    } catch {
      return undefined;
    }
  }
  const sp = line.indexOf(" ");
  if (sp < 1 || line[sp + 1] !== "{") return undefined;
  const id = Number(line.slice(0, sp));
  if (!Number.isSafeInteger(id)) return undefined;
  return { kind: "result", id, envelope: line.slice(sp + 1) };
}
