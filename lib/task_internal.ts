/**
 * The manager's bookkeeping of a task, kept on the task under a symbol that
 * `mod.ts` does not export: its state, its record, its retries, and its
 * place in the manager's lists.
 *
 * @module
 */

import type { TaskRecord, TaskState } from "./task_result.ts";

/** Internal slot through which the manager keeps a task's bookkeeping. */
export const kInternal: unique symbol = Symbol("wq.task.internal");

/** Manager-side bookkeeping of a task (`T`: the task's type), not part of the public API. */
export interface TaskInternal<T> {
  state: TaskState | undefined;
  /** What the queue recorded about its submission and run. */
  record: TaskRecord;
  /** Infrastructure failures so far. */
  attempts: number;
  /** Workers lost while they were making its inputs (URL or command), so far. */
  madeLosses: number;
  /** Workers (by connection id) it must not go back to: it was fast-aborted there. */
  avoid: Set<number> | undefined;
  /**
   * The allocation its category gives it: `"first"`, or `"max"` after it
   * ran out of a resource at the first one.
   */
  label: "first" | "max";
  /**
   * How its category sized its last dispatch (`undefined`: by what it
   * declares): the first allocation, or the maximum.
   */
  sizedAs: "first" | "max" | undefined;
  /** Whether the manager has logged why it cannot run. */
  unfitLogged: boolean;
  /**
   * The category its state is counted under, and the books (one queue's)
   * that count it: a field, not a lookup, since every move reads it.
   */
  countedAs: string | undefined;
  countedIn: object | undefined;
  /** The manager's list (ready or completed queue) the task is in, and its neighbours there. */
  list: object | undefined;
  prev: T | undefined;
  next: T | undefined;
}
