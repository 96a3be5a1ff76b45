/**
 * Decoding one catalog update as CCTools' `catalog_server` does: if the first
 * byte is 0x1A the rest is zlib-compressed; the text is then a JSON object or,
 * otherwise, legacy nvpair text.
 *
 * @module
 */

import { inflateSync } from "node:zlib";
import type { CatalogRecord } from "./client.ts";
import { parseNvpair } from "./nvpair.ts";

/** The byte that marks a zlib-compressed update. */
export const COMPRESSED_MARK = 0x1a;

/** Why an update was refused. */
export type UpdateProblem = "oversized" | "malformed";

/** An update that cannot be used, with the counter it goes to. */
export class UpdateError extends Error {
  /** Which counter the update is dropped under. */
  readonly problem: UpdateProblem;

  /**
   * @param problem `oversized` or `malformed`.
   * @param message What was wrong.
   * @param options The cause.
   */
  constructor(problem: UpdateProblem, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UpdateError";
    this.problem = problem;
  }
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes an update into a record.
 *
 * @param bytes The datagram, or what a TCP update connection sent.
 * @param maxBytes The largest update accepted, compressed or inflated.
 * @returns The record the sender described (not yet stamped with address and time).
 * @throws {UpdateError} If it is too large, not UTF-8, not a JSON object and not nvpair text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeUpdate } from "./update.ts";
 * const r = decodeUpdate(new TextEncoder().encode('{"type":"wq_master","port":1}'), 65536);
 * assert.deepEqual(r, { type: "wq_master", port: 1 });
 * ```
 */
export function decodeUpdate(bytes: Uint8Array, maxBytes: number): CatalogRecord {
  if (bytes.length > maxBytes) {
    throw new UpdateError(
      "oversized",
      `Cannot accept update: ${bytes.length} bytes is over ${maxBytes}`,
    );
  }
  if (bytes.length === 0) throw new UpdateError("malformed", "Cannot accept update: it is empty");
  let body = bytes;
  if (bytes[0] === COMPRESSED_MARK) {
    try {
      body = inflateSync(bytes.subarray(1), { maxOutputLength: maxBytes });
    } catch (e) {
      const tooBig = (e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE" ||
        e instanceof RangeError;
      throw new UpdateError(
        tooBig ? "oversized" : "malformed",
        tooBig
          ? `Cannot accept update: it inflates to over ${maxBytes} bytes`
          : "Cannot accept update: bad zlib data",
        { cause: e },
      );
    }
  }
  let text: string;
  try {
    text = decoder.decode(body);
  } catch (e) {
    throw new UpdateError("malformed", "Cannot accept update: it is not UTF-8 text", { cause: e });
  }
  text = text.trimStart();
  let record: unknown;
  try {
    record = text.startsWith("{") ? JSON.parse(text) : parseNvpair(text);
  } catch (e) {
    throw new UpdateError("malformed", `Cannot accept update: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (record === null || typeof record !== "object" || Array.isArray(record)) {
    throw new UpdateError("malformed", "Cannot accept update: it is not an object");
  }
  if (Object.keys(record).length === 0) {
    throw new UpdateError("malformed", "Cannot accept update: it has no fields");
  }
  return record as CatalogRecord;
}
