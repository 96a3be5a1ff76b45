/**
 * SHA-256 fingerprints of certificates: parsing what a user typed
 * (`--ssl-fingerprint`), computing them from PEM text, and printing them in
 * the form the option takes, so that a user can copy one from the manager's
 * log or from `openssl x509 -noout -fingerprint -sha256 -in cert.pem`.
 *
 * @module
 */

import { createHash } from "node:crypto";

/**
 * Parses a SHA-256 fingerprint as a user gives it: 64 hex digits, in either
 * case, with or without colons between the bytes, after an optional
 * `sha256:` (or openssl's `sha256 Fingerprint=`).
 *
 * @param text The value given.
 * @param option The option it was given to, for the error.
 * @returns The fingerprint as upper-case bytes joined by colons (`AB:CD:…`).
 * @throws {RangeError} `Cannot parse option '...'` if it is not a SHA-256 fingerprint.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const fp = parseFingerprint(`sha256:${"ab".repeat(32)}`, "--ssl-fingerprint");
 * assert.equal(fp, Array(32).fill("AB").join(":"));
 * assert.equal(parseFingerprint(fp.toLowerCase(), "--ssl-fingerprint"), fp);
 * assert.throws(() => parseFingerprint("AB:CD", "--ssl-fingerprint"), /expected a SHA-256/);
 * ```
 */
export function parseFingerprint(text: string, option: string): string {
  const body = text.trim().replace(/^sha-?256(\s+fingerprint)?\s*[:=]\s*/i, "");
  const hex = /^[0-9a-f]{2}(:[0-9a-f]{2}){31}$/i.test(body) ? body.replaceAll(":", "") : body;
  if (!/^[0-9a-f]{64}$/i.test(hex)) {
    throw new RangeError(
      `Cannot parse option '${option}': expected a SHA-256 fingerprint (64 hex digits, colons optional, e.g. sha256:AB:CD:...), got '${text}'`,
    );
  }
  return hex.toUpperCase().match(/../g)!.join(":");
}

/**
 * Shows a fingerprint as `--ssl-fingerprint` takes it.
 *
 * @param fingerprint Upper-case bytes joined by colons, as {@linkcode parseFingerprint} returns.
 * @returns `sha256:AB:CD:…`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(showFingerprint("AB:CD"), "sha256:AB:CD");
 * ```
 */
export function showFingerprint(fingerprint: string): string {
  return `sha256:${fingerprint}`;
}

/**
 * The SHA-256 fingerprints of the certificates in PEM text, in order (the
 * hash of each certificate's DER bytes, as openssl and browsers show it).
 *
 * @param pem PEM text; blocks other than `CERTIFICATE` are skipped.
 * @returns One fingerprint per certificate, as upper-case bytes joined by colons.
 * @throws {SyntaxError} If a certificate block is not base64.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const pem = "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n";
 * // SHA-256 of the bytes 00 01 02
 * assert.deepEqual(pemFingerprints(pem), [
 *   "AE:4B:32:80:E5:6E:2F:AF:83:F4:14:A6:E3:DA:BE:9D:5F:BE:18:97:65:44:C0:5F:ED:12:1A:CC:B8:5B:53:FC",
 * ]);
 * ```
 */
export function pemFingerprints(pem: string): string[] {
  const out: string[] = [];
  const blocks = pem.matchAll(
    /-----BEGIN CERTIFICATE-----([^-]*)-----END CERTIFICATE-----/g,
  );
  for (const [, body] of blocks) {
    const b64 = body.replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) {
      throw new SyntaxError("Cannot read a PEM certificate: its body is not base64");
    }
    const der = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const hex = createHash("sha256").update(der).digest("hex");
    out.push(hex.toUpperCase().match(/../g)!.join(":"));
  }
  return out;
}
