/**
 * Errors that callers may want to catch by class.
 *
 * @module
 */

/**
 * A peer broke the Work Queue protocol: a malformed or over-long line, a
 * wrong length, an unexpected message. The connection it came on is closed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const e = new ProtocolError("Cannot parse line: got 'bogus'");
 * assert.equal(e.name, "ProtocolError");
 * assert.ok(e instanceof Error);
 * ```
 */
export class ProtocolError extends Error {
  /**
   * @param message What was wrong, in the form `Cannot X: Y`.
   * @param options The underlying cause, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ProtocolError";
  }
}

/**
 * The connection to a worker or manager ended while something was under way.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const e = new ConnectionClosedError("Cannot read line: the peer closed the connection");
 * assert.equal(e.name, "ConnectionClosedError");
 * assert.ok(e instanceof Error);
 * ```
 */
export class ConnectionClosedError extends Error {
  /**
   * @param message What was under way.
   * @param options The underlying cause, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ConnectionClosedError";
  }
}

/**
 * The message of an error, or the thrown value as text.
 *
 * @param e Whatever was thrown.
 * @returns A message for a log line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(errorMessage(new Error("boom")), "boom");
 * assert.equal(errorMessage("plain"), "plain");
 * ```
 */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
