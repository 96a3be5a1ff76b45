/**
 * The fast path between our manager and our worker: an extension of both
 * dialects that CCTools' peers never see, because it is only used when both
 * ends asked for it.
 *
 * ```
 * →M info wq-deno-fastpath <version>     in our worker's handshake (the offer)
 * →W wq-deno-fastpath <version>          our manager's answer (the fast path is on)
 * ```
 *
 * - **The offer** is an `info` line with a field CCTools' managers do not
 *   know, which both dialects ignore (spec §3; protocol-11 spec §4.3). Our
 *   worker sends it before `info worker-end-time`, so our manager reads it
 *   before the worker may get a task.
 * - **The answer** is a command only our worker knows: CCTools' worker drops
 *   the connection on an unknown command (spec §4), so a manager sends it
 *   only to a worker that offered, and before anything else that concerns
 *   tasks. The version is the lower of the two ends'.
 * - **Version 1.** The worker pushes each finished task's `result` line (with
 *   its stdout, and the `info task-signal` line before it) as soon as the
 *   task is done, without `available_results` or waiting for
 *   `send_results`; never inside another reply. The manager reads a `result`
 *   at any time on such a connection, and may send a task before a slot is
 *   free (one queued ahead per slot): the worker starts it when its
 *   resources are free, in arrival order.
 * - **Version 2.** Version 1, and the worker runs function calls
 *   (`function_call.ts`): the manager sends calls only to a worker at 2 or more.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import { clip, parseIntField } from "./protocol.ts";

/** The `info` field of the offer, and the keyword of the answer. */
export const FAST_PATH_FIELD = "wq-deno-fastpath";

/** The fast path's version this code speaks. */
export const FAST_PATH_VERSION = 2;

/**
 * The offer line a worker puts in its handshake.
 *
 * @param version The highest version it speaks (default {@linkcode FAST_PATH_VERSION}).
 * @returns The line, with its LF.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(encodeFastPathOffer(), "info wq-deno-fastpath 2\n");
 * ```
 */
export function encodeFastPathOffer(version: number = FAST_PATH_VERSION): string {
  return `info ${FAST_PATH_FIELD} ${checkVersion(version)}\n`;
}

/**
 * The version an offer names, from the field and value of an `info` line.
 *
 * @param field The `info` line's field.
 * @param value Its value.
 * @returns The version, or `undefined` if the line is not an offer or names
 * no usable version (an `info` line is never an error).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(parseFastPathOffer("wq-deno-fastpath", "1"), 1);
 * assert.equal(parseFastPathOffer("wq-deno-fastpath", "x"), undefined);
 * assert.equal(parseFastPathOffer("tasks_running", "1"), undefined);
 * ```
 */
export function parseFastPathOffer(field: string, value: string): number | undefined {
  if (field !== FAST_PATH_FIELD || !/^[1-9][0-9]{0,5}$/.test(value)) return undefined;
  return Number(value);
}

/**
 * The version both ends speak, given the one offered.
 *
 * @param offered The worker's version.
 * @returns The lower of it and ours.
 */
export function agreedFastPath(offered: number): number {
  return Math.min(offered, FAST_PATH_VERSION);
}

/**
 * The answer a manager sends a worker that offered: the fast path is on.
 *
 * @param version The agreed version.
 * @returns The line, with its LF.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(encodeFastPathAnswer(1), "wq-deno-fastpath 1\n");
 * ```
 */
export function encodeFastPathAnswer(version: number): string {
  return `${FAST_PATH_FIELD} ${checkVersion(version)}\n`;
}

/**
 * The version of an answer line (`wq-deno-fastpath <version>`), read by the worker.
 *
 * @param line The line, without its LF.
 * @returns The version.
 * @throws {ProtocolError} If the line is not an answer with a positive version.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(parseFastPathAnswer("wq-deno-fastpath 1"), 1);
 * assert.throws(() => parseFastPathAnswer("wq-deno-fastpath 0"));
 * ```
 */
export function parseFastPathAnswer(line: string): number {
  const f = line.split(" ");
  if (f[0] !== FAST_PATH_FIELD || f.length !== 2) {
    throw new ProtocolError(`Cannot parse fast path answer '${clip(line)}': expected 1 field`);
  }
  const v = parseIntField(f[1], "fast path version", line);
  if (v < 1) {
    throw new ProtocolError(`Cannot parse fast path answer '${clip(line)}': version is '${v}'`);
  }
  return v;
}

function checkVersion(version: number): number {
  if (!Number.isSafeInteger(version) || version < 1 || version > 999_999) {
    throw new RangeError(`Cannot encode fast path version: current value is '${version}'`);
  }
  return version;
}
