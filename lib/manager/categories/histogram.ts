/**
 * The measured values of one resource of one category, in buckets, with the
 * wall time spent in each: what the automatic allocation modes compute the
 * first allocation from (CCTools' `histogram.c`, re-implemented). A bucket
 * holds the values in `(end - size, end]` and is named by its end.
 *
 * @module
 */

/** One bucket: its end, how many values fell in it, and their wall time. */
export interface Bucket {
  /** The largest value it holds (a multiple of the bucket size). */
  end: number;
  /** How many values. */
  count: number;
  /** Their wall time, summed, in seconds. */
  seconds: number;
}

/**
 * Values in buckets of a fixed size.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const h = new Histogram(250);
 * h.add(100, 2);
 * h.add(240, 1);
 * h.add(300, 1);
 * assert.deepEqual(h.buckets(), [
 *   { end: 250, count: 2, seconds: 3 },
 *   { end: 500, count: 1, seconds: 1 },
 * ]);
 * assert.equal(h.max, 300);
 * assert.equal(h.roundUp(300), 500);
 * ```
 */
export class Histogram {
  /** The width of a bucket. */
  readonly size: number;
  readonly #buckets = new Map<number, Bucket>();
  #max = 0;
  #count = 0;

  /** @param size The width of a bucket (> 0). */
  constructor(size: number) {
    this.size = size;
  }

  /** The largest value added (0 when none). */
  get max(): number {
    return this.#max;
  }

  /** How many values were added. */
  get count(): number {
    return this.#count;
  }

  /**
   * The end of the bucket a value falls in.
   *
   * @param v A value (>= 0).
   * @returns The smallest multiple of the bucket size not below it.
   */
  roundUp(v: number): number {
    return Math.ceil(v / this.size) * this.size;
  }

  /**
   * Adds a value.
   *
   * @param v The value (a negative one is ignored).
   * @param seconds The wall time of the task that had it.
   */
  add(v: number, seconds: number): void {
    if (!(v >= 0)) return;
    const end = this.roundUp(v);
    let b = this.#buckets.get(end);
    if (!b) this.#buckets.set(end, b = { end, count: 0, seconds: 0 });
    b.count++;
    b.seconds += Math.max(0, seconds);
    if (this.#count === 0 || v > this.#max) this.#max = v;
    this.#count++;
  }

  /** The buckets that hold values, smallest first (copies). */
  buckets(): Bucket[] {
    return [...this.#buckets.values()].map((b) => ({ ...b })).sort((a, b) => a.end - b.end);
  }
}
