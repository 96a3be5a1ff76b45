/**
 * Tasks waiting for a worker, in priority order (higher first) and submit
 * order within a priority. Adding and removing are O(1) (plus O(p) for a new
 * priority level), and iteration visits only what is queued.
 *
 * @module
 */

import type { Task } from "../task.ts";

/**
 * A priority-ordered queue with removal by identity.
 *
 * @example
 * ```ts
 * import { Task } from "../task.ts";
 * const q = new ReadyQueue();
 * const a = new Task("a"), b = new Task("b");
 * b.priority = 5;
 * q.add(a);
 * q.add(b);
 * console.assert([...q][0] === b && q.size === 2);
 * q.delete(b);
 * console.assert([...q][0] === a);
 * ```
 */
export class ReadyQueue implements Iterable<Task> {
  #levels = new Map<number, Set<Task>>();
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
      level = new Set();
      this.#levels.set(p, level);
      const i = this.#order.findIndex((q) => q < p);
      this.#order.splice(i < 0 ? this.#order.length : i, 0, p);
    }
    if (!level.has(task)) {
      level.add(task);
      this.#size++;
    }
  }

  /** Removes a task; returns whether it was queued. */
  delete(task: Task): boolean {
    const guess = this.#levels.get(task.priority);
    const levels = guess?.has(task) ? [[task.priority, guess] as const] : this.#levels;
    for (const [p, level] of levels) {
      if (level.delete(task)) {
        this.#size--;
        if (level.size === 0) {
          this.#levels.delete(p);
          this.#order.splice(this.#order.indexOf(p), 1);
        }
        return true;
      }
    }
    return false;
  }

  /** Tasks in the order they should be dispatched. */
  *[Symbol.iterator](): Iterator<Task> {
    for (const p of [...this.#order]) {
      const level = this.#levels.get(p);
      if (level) yield* level;
    }
  }
}
