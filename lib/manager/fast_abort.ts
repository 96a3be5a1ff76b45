/**
 * Fast abort: once enough tasks have succeeded to know how long a task
 * takes, a task running longer than `multiplier` times that average is a
 * straggler; it is aborted and run elsewhere (the paper's §4.3).
 *
 * @module
 */

import type { Task } from "../task.ts";

/** How many successes make an average worth acting on. */
export const FAST_ABORT_MIN_SAMPLES = 10;

/**
 * The running average of successful task times and the straggler test.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const fa = new FastAbort();
 * fa.multiplier = 3;
 * for (let i = 0; i < 10; i++) fa.record(100);
 * assert.equal(fa.limit(), 300);
 * ```
 */
export class FastAbort {
  /** Abort tasks slower than this times the average; `<= 0` turns it off. */
  multiplier = -1;
  #sum = 0;
  #count = 0;

  /** Records the run time (ms, dispatch to result) of a task that succeeded. */
  record(ms: number): void {
    this.#sum += ms;
    this.#count++;
  }

  /** The time (ms) past which a running task is a straggler, or `undefined`. */
  limit(): number | undefined {
    if (this.multiplier <= 0 || this.#count < FAST_ABORT_MIN_SAMPLES) return undefined;
    return this.multiplier * (this.#sum / this.#count);
  }

  /**
   * The tasks among `running` that have run past the limit.
   *
   * @param running Tasks on workers.
   * @param now The current time (ms).
   * @param startOf When a task started (ms), or `undefined` if it has not
   * (queued ahead). Default: its dispatch time.
   * @returns The stragglers.
   */
  stragglers(
    running: Iterable<Task>,
    now: number,
    startOf: (t: Task) => number | undefined = (t) => t.dispatchTime,
  ): Task[] {
    const limit = this.limit();
    if (limit === undefined) return [];
    const out: Task[] = [];
    for (const t of running) {
      if (t.state !== "running") continue;
      const start = startOf(t);
      if (start !== undefined && now - start > limit) out.push(t);
    }
    return out;
  }
}
