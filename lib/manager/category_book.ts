/**
 * The books of each task category (`task.category`, `"default"` unless set):
 * how many of its tasks are in each state now, and how many were dispatched,
 * completed, failed and cancelled so far. `Core.transition()` keeps them, so
 * status replies and catalog records read them without walking every task.
 *
 * @module
 */

import { kInternal, type Task, type TaskState } from "../task.ts";
import { zeroPerState } from "./task_state.ts";

/** One category's counts. */
export interface CategoryCounts {
  /** Its tasks in each state now. */
  inState: Record<TaskState, number>;
  /** Dispatches to workers, retries included. */
  dispatched: number;
  /** Tasks completed, whatever their result. */
  done: number;
  /** Tasks completed with a result other than success. */
  failed: number;
  /** Tasks cancelled. */
  cancelled: number;
}

function emptyCounts(): CategoryCounts {
  return {
    inState: zeroPerState(),
    dispatched: 0,
    done: 0,
    failed: 0,
    cancelled: 0,
  };
}

/**
 * Per-category counts, in the order categories were first seen.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Task } from "../task.ts";
 *
 * const book = new CategoryBook();
 * const t = new Task("true");
 * t.category = "align";
 * book.note(t, undefined, "ready");
 * book.note(t, "ready", "sending");
 * const c = book.get("align")!;
 * assert.equal(c.inState.ready, 0);
 * assert.equal(c.inState.sending, 1);
 * assert.equal(c.dispatched, 1);
 * ```
 */
export class CategoryBook {
  readonly #byName = new Map<string, CategoryCounts>();

  /**
   * Books a task's move (called by `Core.transition()` only).
   *
   * @param task The task, whose record is already written for `complete`.
   * @param from Its state before (`undefined` when first submitted).
   * @param to Its new state.
   */
  note(task: Task, from: TaskState | undefined, to: TaskState): void {
    // The category each task was counted under (in these books), so that a
    // renamed category cannot skew the counts.
    const internal = task[kInternal];
    const before = internal.countedIn === this ? internal.countedAs : undefined;
    if (from && before !== undefined) this.#counts(before).inState[from]--;
    // a task re-submitted after it was returned may have a new category
    const name = from === undefined || from === "returned" || from === "cancelled"
      ? task.category
      : before ?? task.category;
    internal.countedAs = name;
    internal.countedIn = this;
    const c = this.#counts(name);
    c.inState[to]++;
    if (to === "sending") c.dispatched++;
    if (to === "complete") {
      c.done++;
      if (task[kInternal].record.result !== 0) c.failed++;
    }
    if (to === "cancelled") c.cancelled++;
  }

  /**
   * A category's counts.
   *
   * @param name The category.
   * @returns Its counts, or `undefined` if no task of it was ever submitted.
   */
  get(name: string): Readonly<CategoryCounts> | undefined {
    return this.#byName.get(name);
  }

  /** The categories seen so far, in the order they were first seen. */
  names(): string[] {
    return [...this.#byName.keys()];
  }

  #counts(name: string): CategoryCounts {
    let c = this.#byName.get(name);
    if (!c) this.#byName.set(name, c = emptyCounts());
    return c;
  }
}
