/**
 * A full disk under the workspace: recognising the errors it causes, and
 * checking whether the file system is full after a task failed.
 *
 * @module
 */

import { statfsSync } from "node:fs";

/**
 * A file could not be stored because the workspace's file system is full
 * (ENOSPC, or EDQUOT for a quota). Thrown by the receivers only after the
 * whole body was read, so the connection stays in step.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const e = new DiskFullError("Cannot store 'a': No space left on device");
 * assert.equal(e.name, "DiskFullError");
 * assert.ok(e instanceof Error);
 * ```
 */
export class DiskFullError extends Error {
  /**
   * @param message What could not be stored, in the form `Cannot X: Y`.
   * @param options The underlying error.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "DiskFullError";
  }
}

/**
 * Whether an error means that the disk (or the user's quota) is full.
 *
 * @param e Whatever was thrown.
 * @returns `true` for ENOSPC and EDQUOT.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const e = Object.assign(new Error("No space left on device (os error 28)"), { code: "ENOSPC" });
 * assert.equal(isDiskFullError(e), true);
 * assert.equal(isDiskFullError(new Error("other")), false);
 * ```
 */
export function isDiskFullError(e: unknown): boolean {
  if (e instanceof DiskFullError) return true;
  if (!(e instanceof Error)) return false;
  const code = (e as { code?: unknown }).code;
  return code === "ENOSPC" || code === "EDQUOT" || /\(os error (28|122)\)/.test(e.message);
}

/** Below this many free bytes, a file system counts as full. */
export const FULL_BELOW = 64 * 1024;

/**
 * The free bytes of the file system holding `path`, as this process may
 * use them (root may use the blocks reserved for it), or `undefined` if
 * it cannot be measured.
 *
 * @param path A path on the file system.
 * @returns Free bytes, or `undefined`.
 */
export function freeBytes(path: string): number | undefined {
  try {
    const s = statfsSync(path);
    const blocks = Deno.uid() === 0 ? s.bfree : s.bavail;
    return Number(blocks) * Number(s.bsize);
  } catch {
    return undefined; // not measurable here (permissions, platform): not known to be full
  }
}

/**
 * Whether the file system holding `path` is full: fewer than
 * {@linkcode FULL_BELOW} bytes free.
 *
 * @param path A path on the file system.
 * @returns `true` if it is measurably full.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const free = freeBytes(Deno.cwd());
 * assert.equal(isFull(Deno.cwd()), free !== undefined && free < FULL_BELOW);
 * assert.equal(isFull("/no/such/dir"), false); // not measurable, so not known to be full
 * ```
 */
export function isFull(path: string): boolean {
  const free = freeBytes(path);
  return free !== undefined && free < FULL_BELOW;
}
