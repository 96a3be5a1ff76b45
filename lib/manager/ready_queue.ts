/**
 * Tasks waiting for a worker, in priority order (higher first) and submit
 * order within a priority. Adding and removing are O(1) (plus O(p) for a new
 * priority level), and iteration visits only what is queued: a pass that
 * looks at the first few tasks costs the same with 200 or 1,000,000 queued.
 *
 * @module
 */

import { kInternal, type Task } from "../task.ts";
import { TaskList } from "./task_list.ts";

/**
 * A priority-ordered queue with removal by identity.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Task } from "../task.ts";
 * const q = new ReadyQueue();
 * const a = new Task("a"), b = new Task("b");
 * b.priority = 5;
 * q.add(a);
 * q.add(b);
 * assert.deepEqual([...q], [b, a]); // higher priority first
 * q.delete(b);
 * assert.deepEqual([...q], [a]);
 * ```
 */
export class ReadyQueue implements Iterable<Task> {
  #levels = new Map<number, TaskList>();
  /** Priorities with a level, highest first. */
  #order: number[] = [];
  #size = 0;

  /** How many tasks are queued. */
  get size(): number {
    return this.#size;
  }

  /** Queues a task behind others of its priority. */
  add(task: Task): void {
    const p = task.priority;
    let level = this.#levels.get(p);
    if (!level) {
      level = new TaskList();
      this.#levels.set(p, level);
      const i = this.#order.findIndex((q) => q < p);
      this.#order.splice(i < 0 ? this.#order.length : i, 0, p);
    }
    if (level.has(task)) return;
    this.delete(task);
    level.push(task);
    this.#size++;
  }

  /** Removes a task; returns whether it was queued. */
  delete(task: Task): boolean {
    const list = task[kInternal].list;
    if (!list) return false;
    for (const [p, level] of this.#levels) {
      if (level !== list) continue;
      level.delete(task);
      this.#size--;
      if (level.size === 0) {
        this.#levels.delete(p);
        this.#order.splice(this.#order.indexOf(p), 1);
      }
      return true;
    }
    return false;
  }

  /** Tasks in the order they should be dispatched. */
  *[Symbol.iterator](): Iterator<Task> {
    if (this.#order.length === 1) {
      yield* this.#levels.get(this.#order[0])!;
      return;
    }
    for (const p of [...this.#order]) {
      const level = this.#levels.get(p);
      if (level) yield* level;
    }
  }
}
