/**
 * Jittered exponential backoff for redialing the manager.
 *
 * @module
 */

/** Options for {@linkcode Backoff}. */
export interface BackoffOptions {
  /** First delay, in milliseconds. */
  minMs: number;
  /** Longest delay, in milliseconds. */
  maxMs: number;
  /** Source of randomness in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/**
 * Delays that double from `minMs` up to `maxMs`. Each delay is drawn
 * uniformly from the upper half of the current step (full jitter would let
 * many workers redial at once after a manager restart; none would waste time).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * // The lowest draws: half of each step. The step doubles up to maxMs.
 * const b = new Backoff({ minMs: 1000, maxMs: 4000, random: () => 0 });
 * assert.deepEqual([b.next(), b.next(), b.next(), b.next()], [500, 1000, 2000, 2000]);
 * b.reset();
 * assert.equal(b.next(), 500);
 * ```
 */
export class Backoff {
  #min: number;
  #max: number;
  #step: number;
  #random: () => number;

  /** @param options Bounds and randomness. */
  constructor(options: BackoffOptions) {
    if (!(options.minMs >= 0) || !(options.maxMs >= options.minMs)) {
      throw new RangeError(
        `Cannot make backoff: expected 0 <= min <= max, got ${options.minMs}..${options.maxMs}`,
      );
    }
    this.#min = options.minMs;
    this.#max = options.maxMs;
    this.#step = this.#min;
    this.#random = options.random ?? Math.random;
  }

  /**
   * The next delay; the step doubles afterwards.
   *
   * @returns Milliseconds, in `[step/2, step]`.
   */
  next(): number {
    const step = this.#step;
    this.#step = Math.min(this.#max, Math.max(1, this.#step * 2));
    return Math.round(step / 2 + (step / 2) * this.#random());
  }

  /** Starts again from the first delay (after a successful connection). */
  reset(): void {
    this.#step = this.#min;
  }
}
