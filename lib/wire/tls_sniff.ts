/**
 * Recognising a TLS peer on a plain connection, so that a manager and a
 * worker that disagree about TLS say so at once instead of waiting for a
 * line that never comes.
 *
 * @module
 */

/**
 * What a plain reader reports when the other side speaks TLS (a TLS
 * worker at a plain manager, or a plain worker at a TLS manager).
 */
export const TLS_MISMATCH =
  "the peer speaks TLS on a plain connection (use TLS on both sides or on neither)";

/**
 * Whether bytes at the very start of a stream open a TLS record: a content
 * type of 20 to 23 (change-cipher-spec, alert, handshake, data) followed by
 * major version 3. No Work Queue line starts with these control bytes.
 *
 * @param bytes The first bytes of the stream (at least 2 for a verdict).
 * @returns `true` if they look like TLS.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(startsLikeTls(new Uint8Array([0x16, 0x03, 0x01])), true);
 * assert.equal(startsLikeTls(new TextEncoder().encode("workqueue 9")), false);
 * ```
 */
export function startsLikeTls(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] >= 0x14 && bytes[0] <= 0x17 && bytes[1] === 0x03;
}
