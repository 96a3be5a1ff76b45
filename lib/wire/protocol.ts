/**
 * Work Queue protocol constants (versions 9 and 11) and the small codecs every message uses:
 * URL encoding of names, name checks, integer, decimal and mode fields.
 * The messages themselves are in `commands.ts` (manager to worker),
 * `worker_messages.ts` (worker to manager), `task_block.ts`, `results.ts`,
 * `files.ts` and `status_request.ts`.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";

/** The protocol version spoken by CCTools 7.4 and older / Debian's coop-computing-tools. */
export const PROTOCOL_VERSION = 9;
/** The protocol version spoken by CCTools 7.5 to 7.17. */
export const PROTOCOL_VERSION_11 = 11;
/**
 * A dialect of the protocol: 9 (CCTools 7.4 and older) or 11 (CCTools 7.5
 * and newer). A connection speaks one, chosen by the worker's handshake.
 */
export type Dialect = 9 | 11;
/** The dialects our manager and worker speak, in the order a worker tries them. */
export const DIALECTS: readonly Dialect[] = Object.freeze([11, 9] as const);

/**
 * Whether a protocol number is one we speak.
 *
 * @param n The number from a handshake or a catalog record.
 * @returns Whether it is 9 or 11.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(isDialect(11), true);
 * assert.equal(isDialect(10), false);
 * ```
 */
export function isDialect(n: unknown): n is Dialect {
  return n === 9 || n === 11;
}
/**
 * The CCTools version we announce: in the worker's handshake and in the
 * manager's status replies and catalog records (what that CCTools build
 * sends).
 */
export const CCTOOLS_VERSION = "8.0.0";
/** The longest protocol line, terminator included (WORK_QUEUE_LINE_MAX). */
export const MAX_LINE = 4096;

/** File flags on `infile`/`outfile` lines. */
export const FLAG_CACHE = 1;
/** Flag: stream updates of this output while the task runs. */
export const FLAG_WATCH = 16;

const HEX = "0123456789ABCDEF";

/**
 * Encodes a name as CCTools' `url_encode` does: every byte up to space, `%`,
 * `\`, `<`, `>`, `'`, `"` and every byte above `z` becomes `%XX`.
 *
 * @param name The name (ASCII is safest; other bytes are encoded as UTF-8).
 * @returns The encoded name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(urlEncode("my file.txt"), "my%20file.txt");
 * ```
 */
export function urlEncode(name: string): string {
  if (!needsEncoding(name)) return name;
  let out = "";
  for (const b of new TextEncoder().encode(name)) {
    if (
      b <= 0x20 || b > 0x7a || b === 0x25 || b === 0x5c || b === 0x3c || b === 0x3e || b === 0x27 ||
      b === 0x22
    ) {
      out += "%" + HEX[b >> 4] + HEX[b & 15];
    } else {
      out += String.fromCharCode(b);
    }
  }
  return out;
}

/** Whether some character of `name` is one that {@linkcode urlEncode} changes. */
function needsEncoding(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (
      c <= 0x20 || c > 0x7a || c === 0x25 || c === 0x5c || c === 0x3c || c === 0x3e || c === 0x27 ||
      c === 0x22
    ) return true;
  }
  return false;
}

/**
 * Decodes `%XX` sequences (only those; `+` stays `+`), as CCTools' `url_decode`.
 *
 * @param name The encoded name.
 * @returns The decoded name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(urlDecode("my%20file.txt"), "my file.txt");
 * ```
 */
export function urlDecode(name: string): string {
  if (!name.includes("%")) return name;
  const bytes: number[] = [];
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (
      c === 0x25 && i + 2 < name.length + 0 && /^[0-9A-Fa-f]{2}$/.test(name.slice(i + 1, i + 3))
    ) {
      bytes.push(parseInt(name.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      bytes.push(...new TextEncoder().encode(name[i]));
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

/**
 * Why a remote (sandbox-relative) name is unsafe, or `undefined` if it is
 * fine: it must be non-empty, relative, free of `..` components and NUL.
 *
 * @param name The name relative to a task's sandbox.
 * @returns A reason, or `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(remoteNameProblem("out/a.txt"), undefined);
 * assert.equal(remoteNameProblem("../etc/passwd"), "it contains a '..' component");
 * ```
 */
export function remoteNameProblem(name: string): string | undefined {
  if (name.length === 0) return "it is empty";
  if (name.startsWith("/")) return "it is an absolute path";
  if (name.includes("\0")) return "it contains a NUL byte";
  if (name.includes("\n")) return "it contains a line break";
  const parts = name.split("/");
  if (parts.includes("..")) return "it contains a '..' component";
  if (parts.every((p) => p === "" || p === ".")) return "it names the sandbox itself";
  return undefined;
}

/**
 * Why a cache name is unsafe, or `undefined`: cache names are one path
 * component, not `.` or `..`.
 *
 * @param name The name inside the worker's cache.
 * @returns A reason, or `undefined`.
 */
export function cacheNameProblem(name: string): string | undefined {
  if (name.length === 0) return "it is empty";
  if (name.includes("/")) return "it contains '/'";
  if (name === "." || name === "..") return `it is '${name}'`;
  if (name.includes("\0")) return "it contains a NUL byte";
  return undefined;
}

/**
 * Parses a decimal integer field of a protocol line.
 *
 * @param field The text.
 * @param what What it is, for the error.
 * @param line The whole line, for the error.
 * @returns The integer.
 * @throws {ProtocolError} If it is not an integer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(parseIntField("42", "length", "put a 42 0644"), 42);
 * ```
 */
export function parseIntField(field: string | undefined, what: string, line: string): number {
  if (field === undefined || !/^-?\d{1,18}$/.test(field)) {
    throw new ProtocolError(`Cannot parse ${what} in '${clip(line)}': got '${clip(field ?? "")}'`);
  }
  return Number(field);
}

/**
 * Parses a decimal number field (`1.000`, `64`, `1795531400.000000`).
 *
 * @param field The text.
 * @param what What it is, for the error.
 * @param line The whole line, for the error.
 * @returns The number.
 * @throws {ProtocolError} If it is not a decimal number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(parseDecimalField("1.500", "cores", "cores 1.500"), 1.5);
 * ```
 */
export function parseDecimalField(field: string | undefined, what: string, line: string): number {
  if (field === undefined || !/^-?\d+(\.\d*)?$/.test(field)) {
    throw new ProtocolError(`Cannot parse ${what} in '${clip(line)}': got '${clip(field ?? "")}'`);
  }
  return Number(field);
}

/**
 * Parses a file mode field as CCTools' `%o` does (octal digits: `0644`,
 * `644` and `777` all parse).
 *
 * @param field The text.
 * @param line The whole line, for the error.
 * @returns The mode (permission bits and the set-id and sticky bits).
 * @throws {ProtocolError} If it is not octal.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(parseMode("0644", "put a 1 0644"), 0o644);
 * ```
 */
export function parseMode(field: string | undefined, line: string): number {
  if (field === undefined || !/^[0-7]{1,7}$/.test(field)) {
    throw new ProtocolError(`Cannot parse mode in '${clip(line)}': got '${clip(field ?? "")}'`);
  }
  return parseInt(field, 8) & 0o7777;
}

/**
 * Formats a file mode as the C manager does: `0` and the octal permission
 * bits.
 *
 * @param mode The mode.
 * @returns E.g. `0644`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(formatMode(0o100755), "0755");
 * ```
 */
export function formatMode(mode: number): string {
  return "0" + (mode & 0o777).toString(8);
}

/**
 * Shortens a line for an error message.
 *
 * @param s The text.
 * @param max Longest length kept.
 * @returns `s`, cut to `max` characters with an ellipsis.
 */
export function clip(s: string, max = 80): string {
  // deno-lint-ignore no-control-regex
  const printable = s.replace(/[\x00-\x1f\x7f-\uffff]/g, "?");
  return printable.length > max ? printable.slice(0, max) + "…" : printable;
}
