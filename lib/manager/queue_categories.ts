/**
 * The checks and effects of `WorkQueue`'s category settings
 * (`specifyCategoryMode`, `specifyCategoryMaxResources`, …) and what
 * `wq.categoryStats()` returns. Each setting checks its arguments and
 * throws one clear error.
 *
 * @module
 */

import {
  WORK_QUEUE_ALLOCATION_MODE_FIXED,
  WORK_QUEUE_ALLOCATION_MODE_MAX_THROUGHPUT,
} from "../constants.ts";
import { RESOURCE_KINDS, type ResourceRequest } from "../resources.ts";
import { type AllocationModeName, MODE_NAMES } from "./categories/category.ts";
import type { CategoryCounts } from "./category_book.ts";
import type { Reactor } from "./reactor.ts";

/** The amounts of a category's maximum, minimum or first allocation guess: cores, memory MB, disk MB, GPUs. */
export type CategoryResources = ResourceRequest;

/** What the manager learned about a category, from `wq.categoryStats(name)`. */
export interface CategoryStats {
  /** The category. */
  name: string;
  /** Its `WORK_QUEUE_ALLOCATION_MODE_*` value. */
  mode: number;
  /** The mode in words. */
  modeName: AllocationModeName;
  /** The maximum set with `specifyCategoryMaxResources` (`{}`: none; a whole worker). */
  maxResources: CategoryResources;
  /** The minimum set with `specifyCategoryMinResources`. */
  minResources: CategoryResources;
  /** Tasks measured that ended normally (CCTools' workers measure only the wall time: not counted). */
  tasksMeasured: number;
  /** Tasks that ran out of memory or disk (retried at the maximum, or given up). */
  tasksExhausted: number;
  /** The largest amounts measured (cores, memory and disk MB; exhausted tasks included). */
  maxSeen: CategoryResources;
  /** Average use of the tasks measured normally: memory and disk MB, cores, wall seconds. */
  average: { memoryMB?: number; diskMB?: number; cores?: number; wallSeconds?: number };
  /**
   * Whether it sizes its tasks with `firstAllocation` (an automatic mode,
   * and enough measurements); until then they run with the maximum.
   */
  steady: boolean;
  /** The first allocation learned (automatic modes), or `null` while there is none. */
  firstAllocation: CategoryResources | null;
  /** Its tasks: in each state now, dispatched, done, failed and cancelled so far (`null`: none submitted). */
  tasks: Readonly<CategoryCounts> | null;
}

function checkName(name: string, what: string): void {
  if (typeof name !== "string" || name.length === 0) {
    throw new TypeError(`Cannot ${what}: expected a category name, got '${String(name)}'`);
  }
}

/**
 * Sets a category's allocation mode.
 *
 * @param r The reactor.
 * @param name The category.
 * @param mode A `WORK_QUEUE_ALLOCATION_MODE_*` value.
 * @throws {TypeError} If the name is empty.
 * @throws {RangeError} If the mode is not one of those.
 */
export function setCategoryMode(r: Reactor, name: string, mode: number): void {
  checkName(name, "set category mode");
  if (
    !Number.isInteger(mode) || mode < WORK_QUEUE_ALLOCATION_MODE_FIXED ||
    mode > WORK_QUEUE_ALLOCATION_MODE_MAX_THROUGHPUT
  ) {
    throw new RangeError(
      `Cannot set mode of category '${name}': ${mode} is not a WORK_QUEUE_ALLOCATION_MODE_* value`,
    );
  }
  r.categories.lookup(name).mode = mode;
  changed(r);
}

/**
 * Checks resource amounts: an object whose keys are among `cores`,
 * `memory`, `disk`, `gpus`, each a non-negative number.
 *
 * @param res The amounts.
 * @param what What they are for, for the message.
 * @returns A copy with the amounts given.
 * @throws {TypeError} For a bad shape or an unknown key.
 * @throws {RangeError} For an amount that is not a non-negative number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(checkCategoryResources({ memory: 500 }, "x"), { memory: 500 });
 * assert.throws(() => checkCategoryResources({ ram: 5 } as never, "x"), /unknown resource 'ram'/);
 * ```
 */
export function checkCategoryResources(res: CategoryResources, what: string): CategoryResources {
  if (typeof res !== "object" || res === null || Array.isArray(res)) {
    throw new TypeError(
      `Cannot set ${what}: expected an object of cores, memory, disk, gpus, got ${String(res)}`,
    );
  }
  const out: CategoryResources = {};
  for (const [k, v] of Object.entries(res)) {
    if (!(RESOURCE_KINDS as readonly string[]).includes(k)) {
      throw new TypeError(
        `Cannot set ${what}: unknown resource '${k}' (expected cores, memory, disk or gpus)`,
      );
    }
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      throw new RangeError(`Cannot set ${what}: ${k} must be a non-negative number, got ${v}`);
    }
    out[k as keyof CategoryResources] = v;
  }
  return out;
}

/**
 * Sets a category's maximum, minimum or first allocation guess.
 *
 * @param r The reactor.
 * @param name The category.
 * @param which Which of the three.
 * @param res The amounts.
 * @throws {TypeError} If the name is empty, or the amounts are not such an object.
 * @throws {RangeError} For an amount that is not a non-negative number.
 */
export function setCategoryResources(
  r: Reactor,
  name: string,
  which: "max" | "min" | "first",
  res: CategoryResources,
): void {
  const what = which === "first" ? "first allocation guess" : `${which}imum resources`;
  checkName(name, `set category ${what}`);
  const ok = checkCategoryResources(res, `${what} of category '${name}'`);
  const c = r.categories.lookup(name);
  if (which === "max") c.max = ok;
  else if (which === "min") c.setMin(ok);
  else c.setFirstGuess(ok);
  changed(r);
}

function changed(r: Reactor): void {
  r.categories.changed();
  r.fit.recheck();
  r.comm.askForScheduling();
}

function average(sum: number, n: number): number | undefined {
  return n === 0 ? undefined : Math.round(sum / n * 1000) / 1000;
}

/**
 * What the manager learned about a category.
 *
 * @param r The reactor.
 * @param name The category.
 * @returns Its statistics (those of a category never configured nor used
 * are its defaults).
 * @throws {TypeError} If the name is empty.
 */
export function categoryStatsIn(r: Reactor, name: string): CategoryStats {
  checkName(name, "read category stats");
  const c = r.categories.get(name);
  const counts = r.core.categories.get(name) ?? null;
  const mode = c?.mode ?? WORK_QUEUE_ALLOCATION_MODE_FIXED;
  const avg: CategoryStats["average"] = {};
  if (c) {
    for (const k of ["memoryMB", "diskMB", "cores", "wallSeconds"] as const) {
      const v = average(c.sums[k], c.sumCounts[k]);
      if (v !== undefined) avg[k] = v;
    }
  }
  return {
    name,
    mode,
    modeName: MODE_NAMES[mode],
    maxResources: { ...c?.max },
    minResources: { ...c?.min },
    tasksMeasured: c?.measured ?? 0,
    tasksExhausted: c?.exhausted ?? 0,
    maxSeen: { ...c?.maxSeen },
    average: avg,
    steady: (c?.automatic && c.steady && c.first !== undefined) ?? false,
    firstAllocation: (c?.automatic ? c.first : undefined) ?? null,
    tasks: counts && structuredClone(counts),
  };
}
