/**
 * The queue's task categories, by name, as the scheduler and the reactor
 * see them: what a task asks for ({@linkcode Categories.sized}, which
 * answers `undefined` without allocating for a task whose category sizes
 * nothing, so that FIXED queues keep their hot path), and the allocation
 * of a sized request on a worker ({@linkcode allocationOf}).
 *
 * @module
 */

import { kInternal, type Task } from "../../task.ts";
import { allocationFor, asksForNothing, type Resources } from "../../resources.ts";
import { type AllocationLabel, Category, type SizedRequest } from "./category.ts";

/** CCTools' `category-steady-n-tasks`: measurements before the first allocation is used. */
export const DEFAULT_STEADY_AFTER = 25;

/**
 * The categories the application configured or whose tasks were measured.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WORK_QUEUE_ALLOCATION_MODE_MAX } from "../../constants.ts";
 * import { Task } from "../../task.ts";
 * const cats = new Categories();
 * const t = new Task("true").specifyCategory("align");
 * assert.equal(cats.sized(t), undefined); // nothing configured: the task's own request
 * cats.lookup("align").mode = WORK_QUEUE_ALLOCATION_MODE_MAX;
 * cats.changed();
 * assert.deepEqual(cats.sized(t), { req: {}, fill: true });
 * ```
 */
export class Categories {
  readonly #byName = new Map<string, Category>();
  #active = 0;
  /** Measurements in a row without a new largest value before a category is steady. */
  steadyAfter: number = DEFAULT_STEADY_AFTER;

  /**
   * A category, if it was configured or measured.
   *
   * @param name Its name.
   * @returns It, or `undefined`.
   */
  get(name: string): Category | undefined {
    return this.#byName.get(name);
  }

  /**
   * A category, made if it is new.
   *
   * @param name Its name.
   * @returns It.
   */
  lookup(name: string): Category {
    let c = this.#byName.get(name);
    if (!c) this.#byName.set(name, c = new Category(name));
    return c;
  }

  /** Recounts the categories that size tasks; call after changing one's settings. */
  changed(): void {
    this.#active = 0;
    for (const c of this.#byName.values()) if (c.active) this.#active++;
  }

  /** Whether any category sizes its tasks (else the scheduler need not ask). */
  get sizing(): boolean {
    return this.#active > 0;
  }

  /**
   * What a task asks for, if its category sizes it.
   *
   * @param task The task.
   * @returns Its request, or `undefined`: its own `resources`, as they are.
   */
  sized(task: Task): SizedRequest | undefined {
    if (this.#active === 0) return undefined;
    const c = this.#byName.get(task.category);
    if (!c?.active) return undefined;
    return c.request(task.resources, task[kInternal].label);
  }

  /**
   * How a task about to be dispatched is sized by an automatic category:
   * with the first allocation, or with the maximum.
   *
   * @param task The task.
   * @returns The label, or `undefined` if its category is not automatic.
   */
  sizedAs(task: Task): AllocationLabel | undefined {
    const c = this.#byName.get(task.category);
    return c?.automatic ? c.sizedAs(task[kInternal].label) : undefined;
  }

  /** The categories, in the order they were first configured or measured. */
  values(): IterableIterator<Category> {
    return this.#byName.values();
  }
}

/**
 * What a sized request takes on a worker: with `fill`, what it leaves
 * unset is the worker's whole amount (no GPU unless asked); otherwise as
 * `allocationFor`.
 *
 * @param s The request.
 * @param total The worker's totals.
 * @returns The allocation.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const total = { cores: 4, memory: 8000, disk: 9000, gpus: 1 };
 * assert.deepEqual(allocationOf({ req: { memory: 500 }, fill: true }, total), {
 *   cores: 4,
 *   memory: 500,
 *   disk: 9000,
 *   gpus: 0,
 * });
 * assert.deepEqual(allocationOf({ req: { memory: 500 }, fill: false }, total), {
 *   cores: 1,
 *   memory: 500,
 *   disk: 0,
 *   gpus: 0,
 * });
 * ```
 */
export function allocationOf(s: SizedRequest, total: Resources): Resources {
  const r = s.req;
  if (!s.fill || asksForNothing(r)) return allocationFor(r, total);
  return {
    cores: r.cores ?? (r.gpus ? 0 : total.cores),
    memory: r.memory ?? total.memory,
    disk: r.disk ?? total.disk,
    gpus: r.gpus ?? 0,
  };
}
