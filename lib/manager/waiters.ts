/**
 * The callers of `wait()` asleep until a task completes (or their timeout
 * passes, or the queue closes).
 *
 * @module
 */

/**
 * Sleepers woken one at a time, oldest first, or all at once.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const w = new Waiters();
 * const order: string[] = [];
 * const a = w.sleep(Infinity).then(() => order.push("a"));
 * const b = w.sleep(Infinity).then(() => order.push("b"));
 * w.wakeOne();
 * await a;
 * assert.deepEqual(order, ["a"]);
 * w.wakeAll();
 * await b;
 * assert.deepEqual(order, ["a", "b"]);
 * assert.equal(await w.sleep(1).then(() => "timed out"), "timed out");
 * ```
 */
export class Waiters {
  readonly #wakes: (() => void)[] = [];

  /**
   * Sleeps until woken, or for `ms` at most (real time).
   *
   * @param ms How long at most; `Infinity` until woken.
   */
  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#wakes.push(wake);
      if (ms !== Infinity) {
        timer = setTimeout(() => {
          const i = this.#wakes.indexOf(wake);
          if (i >= 0) this.#wakes.splice(i, 1);
          resolve();
        }, ms);
      }
    });
  }

  /** Wakes the oldest sleeper, if any. */
  wakeOne(): void {
    this.#wakes.shift()?.();
  }

  /** Wakes every sleeper. */
  wakeAll(): void {
    for (const wake of this.#wakes.splice(0)) wake();
  }
}
