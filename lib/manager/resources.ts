/**
 * The manager's names for the shared resource accounting of
 * `lib/resources.ts`, kept so that modules being restructured elsewhere
 * (`core.ts`, `work_queue.ts`, `scheduler.ts`, `explain.ts`,
 * `worker_info.ts`) import unchanged. Nothing is computed here: new code
 * imports `../resources.ts`, and this file goes once those imports move.
 *
 * @module
 */

import { fits as fitsPool, release, reserve, type Resources } from "../resources.ts";

export { allocationFor, noResources, type Resources } from "../resources.ts";

/**
 * Whether `alloc` fits in what is left of `total` after `inUse`: the
 * manager's argument order for {@linkcode fitsPool}.
 *
 * @param alloc The amounts wanted.
 * @param inUse The amounts taken.
 * @param total The worker's totals.
 * @returns `true` if it fits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const total = { cores: 2, memory: 10, disk: 10, gpus: 0 };
 * const one = { cores: 1, memory: 0, disk: 0, gpus: 0 };
 * assert.equal(fits(one, one, total), true);
 * assert.equal(fits(one, total, total), false);
 * ```
 */
export function fits(alloc: Resources, inUse: Resources, total: Resources): boolean {
  return fitsPool(alloc, { total, inUse });
}

/**
 * Adds (`sign` 1) or removes (`sign` -1) an allocation from the books:
 * `reserve()` or `release()` of `lib/resources.ts`.
 *
 * @param inUse The books, changed in place.
 * @param alloc The allocation.
 * @param sign 1 to reserve, -1 to release.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const books = { cores: 0, memory: 0, disk: 0, gpus: 0 };
 * account(books, { cores: 1, memory: 5, disk: 0, gpus: 0 }, 1);
 * assert.equal(books.cores, 1);
 * ```
 */
export function account(inUse: Resources, alloc: Resources, sign: 1 | -1): void {
  if (sign === 1) reserve(inUse, alloc);
  else release(inUse, alloc);
}
