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
 * const e = new ProtocolError("Cannot parse line: got 'bogus'");
 * console.assert(e.name === "ProtocolError");
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
 * const e = new ConnectionClosedError("Cannot read line: the peer closed the connection");
 * console.assert(e instanceof Error);
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
 * console.assert(errorMessage(new Error("boom")) === "boom");
 * console.assert(errorMessage("plain") === "plain");
 * ```
 */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
