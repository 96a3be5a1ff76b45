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
   * Sleeps until woken, for `ms` at most (real time), or until `signal` is
   * aborted.
   *
   * @param ms How long at most; `Infinity` until woken.
   * @param signal Ends the sleep when aborted.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        const i = this.#wakes.indexOf(done);
        if (i >= 0) this.#wakes.splice(i, 1);
        resolve();
      };
      this.#wakes.push(done);
      if (ms !== Infinity) timer = setTimeout(done, ms);
      if (signal?.aborted) done();
      else signal?.addEventListener("abort", done, { once: true });
    });
  }

  /** Wakes the oldest sleeper, if any. */
  wakeOne(): void {
    this.#wakes[0]?.();
  }

  /** Wakes every sleeper. */
  wakeAll(): void {
    for (const wake of [...this.#wakes]) wake();
  }
}
