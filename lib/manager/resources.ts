/**
 * Resource arithmetic for placing tasks on workers: what a task takes on a
 * given worker, whether it fits, and the books of what is in use.
 *
 * @module
 */

import type { ResourceRequest } from "../task.ts";

/** Amounts of the four resources. */
export interface Resources {
  cores: number;
  memory: number;
  disk: number;
  gpus: number;
}

/** A zero amount of everything. */
export function noResources(): Resources {
  return { cores: 0, memory: 0, disk: 0, gpus: 0 };
}

/**
 * What a task takes on a worker with `total` resources: a task that asks for
 * nothing takes the whole worker (as in CCTools); otherwise what it asks for,
 * with unset resources taken as 0 (disk, memory, gpus) or 1 core when it
 * asks only for memory, disk or gpus.
 *
 * @param req The task's request.
 * @param total The worker's totals.
 * @returns The allocation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const total = { cores: 4, memory: 8000, disk: 10000, gpus: 0 };
 * assert.deepEqual(allocationFor({}, total), total); // asks for nothing: the whole worker
 * assert.deepEqual(allocationFor({ memory: 100 }, total), {
 *   cores: 1, // one core unless it asks for more
 *   memory: 100,
 *   disk: 0,
 *   gpus: 0,
 * });
 * ```
 */
export function allocationFor(req: Readonly<ResourceRequest>, total: Resources): Resources {
  const none = req.cores === undefined && req.memory === undefined && req.disk === undefined &&
    req.gpus === undefined;
  if (none) return { ...total };
  return {
    cores: req.cores ?? (req.gpus ? 0 : 1),
    memory: req.memory ?? 0,
    disk: req.disk ?? 0,
    gpus: req.gpus ?? 0,
  };
}

/**
 * Whether `alloc` fits in what is left of `total` after `inUse`.
 *
 * @param alloc The amounts wanted.
 * @param inUse The amounts taken.
 * @param total The worker's totals.
 * @returns `true` if it fits.
 */
export function fits(alloc: Resources, inUse: Resources, total: Resources): boolean {
  return alloc.cores + inUse.cores <= total.cores &&
    alloc.memory + inUse.memory <= total.memory &&
    alloc.disk + inUse.disk <= total.disk &&
    alloc.gpus + inUse.gpus <= total.gpus;
}

/**
 * Adds (`sign` 1) or removes (`sign` -1) an allocation from the books.
 *
 * @param inUse The books, changed in place.
 * @param alloc The allocation.
 * @param sign 1 to reserve, -1 to release.
 */
export function account(inUse: Resources, alloc: Resources, sign: 1 | -1): void {
  inUse.cores += sign * alloc.cores;
  inUse.memory += sign * alloc.memory;
  inUse.disk += sign * alloc.disk;
  inUse.gpus += sign * alloc.gpus;
}
