/**
 * The first allocation of one resource, computed from the measurements of
 * a category (CCTools' `category.c`, re-implemented): the largest value
 * seen (`MAX`), the allocation that wastes the least (`MIN_WASTE`), or the
 * one that gives the most throughput (`MAX_THROUGHPUT`). A task that needs
 * more than its first allocation is retried with `top`, the category's
 * maximum, so both waste and throughput count that second run.
 *
 * @module
 */

import {
  WORK_QUEUE_ALLOCATION_MODE_MAX,
  WORK_QUEUE_ALLOCATION_MODE_MAX_THROUGHPUT,
  WORK_QUEUE_ALLOCATION_MODE_MIN_WASTE,
} from "../../constants.ts";
import type { Bucket, Histogram } from "./histogram.ts";

/** The buckets with the running sums both searches use. */
interface Sums {
  buckets: Bucket[];
  /** Values in bucket 0..i. */
  countsUpTo: number[];
  /** Mean time spent by values above bucket i: `sum_{j>i} seconds[j] / total`. */
  timeAbove: number[];
  /** Mean wall time of all values. */
  meanTime: number;
  total: number;
}

function sums(h: Histogram): Sums | undefined {
  const buckets = h.buckets();
  const n = buckets.length;
  if (n === 0) return undefined;
  const total = buckets.reduce((s, b) => s + b.count, 0);
  const countsUpTo: number[] = [];
  for (let i = 0, c = 0; i < n; i++) countsUpTo.push(c += buckets[i].count);
  const timeAbove = new Array<number>(n).fill(0);
  for (let i = n - 2; i >= 0; i--) timeAbove[i] = timeAbove[i + 1] + buckets[i + 1].seconds / total;
  const meanTime = timeAbove[0] + buckets[0].seconds / total;
  return { buckets, countsUpTo, timeAbove, meanTime, total };
}

/**
 * The first allocation that minimizes the expected waste: a task whose
 * need is above it runs twice, the second time with `top`.
 *
 * @param h The measurements.
 * @param top The category's maximum for the resource.
 * @returns The allocation (a bucket end, at most `top` rounded up), or
 * `undefined` with no measurement.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Histogram } from "./histogram.ts";
 * const h = new Histogram(250);
 * for (let i = 0; i < 9; i++) h.add(200, 10); // most need 250
 * h.add(3000, 10); // one needs 3000
 * assert.equal(minWaste(h, 4000), 250);
 * ```
 */
export function minWaste(h: Histogram, top: number): number | undefined {
  const s = sums(h);
  if (!s) return undefined;
  let best = Infinity;
  let first = top;
  for (const [i, b] of s.buckets.entries()) {
    if (b.end < 1) continue;
    const waste = b.end * s.meanTime + top * s.timeAbove[i];
    if (waste < best) [best, first] = [waste, b.end];
  }
  return h.roundUp(Math.min(first, top));
}

/**
 * The first allocation that maximizes the expected throughput: tasks that
 * fit in it run `top / a` at a time, the others run again with `top`.
 *
 * @param h The measurements.
 * @param top The category's maximum for the resource.
 * @returns The allocation, or `undefined` with no measurement.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Histogram } from "./histogram.ts";
 * const h = new Histogram(1);
 * for (let i = 0; i < 10; i++) h.add(1, 5);
 * assert.equal(maxThroughput(h, 8), 1);
 * ```
 */
export function maxThroughput(h: Histogram, top: number): number | undefined {
  const s = sums(h);
  if (!s) return undefined;
  let best = 0;
  let first = top;
  for (const [i, b] of s.buckets.entries()) {
    if (b.end < 1) continue;
    const fit = s.countsUpTo[i];
    const rate = (fit * top / b.end + (s.total - fit)) / (s.meanTime + s.timeAbove[i]);
    if (rate > best) [best, first] = [rate, b.end];
  }
  return h.roundUp(Math.min(first, top));
}

/**
 * The largest value measured, with a third of a bucket of headroom,
 * rounded up to its bucket, and at most the category's explicit maximum
 * and the largest worker.
 *
 * @param h The measurements.
 * @param caps `explicit`: the category's maximum; `worker`: the largest worker's amount.
 * @returns The allocation, or `undefined` with no measurement.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Histogram } from "./histogram.ts";
 * const h = new Histogram(250);
 * h.add(100, 1);
 * assert.equal(maxSeen(h, {}), 250); // 100 + 83, rounded up
 * assert.equal(maxSeen(h, { explicit: 200 }), 200);
 * ```
 */
export function maxSeen(
  h: Histogram,
  caps: { explicit?: number; worker?: number },
): number | undefined {
  if (h.count === 0) return undefined;
  const rounded = h.roundUp(h.max + Math.floor(h.size / 3));
  const cap = Math.min(caps.explicit ?? Infinity, caps.worker ?? Infinity);
  return Math.min(rounded, cap);
}

/**
 * The first allocation of one resource in an automatic mode.
 *
 * @param mode A `WORK_QUEUE_ALLOCATION_MODE_*` value.
 * @param h The measurements.
 * @param caps `top`: the category's maximum (its explicit one, else the
 * largest value seen, else the largest worker); `explicit`, `worker` as
 * for {@linkcode maxSeen}.
 * @returns The allocation, or `undefined` if there is none to compute.
 */
export function firstAllocationOf(
  mode: number,
  h: Histogram,
  caps: { top?: number; explicit?: number; worker?: number },
): number | undefined {
  if (caps.top === undefined) return undefined;
  switch (mode) {
    case WORK_QUEUE_ALLOCATION_MODE_MAX:
      return maxSeen(h, caps);
    case WORK_QUEUE_ALLOCATION_MODE_MIN_WASTE:
      return minWaste(h, caps.top);
    case WORK_QUEUE_ALLOCATION_MODE_MAX_THROUGHPUT:
      return maxThroughput(h, caps.top);
    default:
      return undefined;
  }
}
