/**
 * The progress line of `wq-run`, as a pure function of the run's counts.
 *
 * @module
 */

/** Where a run stands. */
export interface ProgressCounts {
  /** Tasks in the task file. */
  total: number;
  /** Tasks completed (succeeded or failed). */
  done: number;
  /** Completed tasks that succeeded (result success and exit code 0). */
  succeeded: number;
  /** Completed tasks that did not. */
  failed: number;
  /** Tasks on workers: inputs going, running, or outputs coming back. */
  running: number;
  /** Tasks waiting for a worker. */
  waiting: number;
  /** Workers connected. */
  workers: number;
  /** Milliseconds since the tasks were submitted. */
  elapsedMs: number;
}

/** How to draw the progress line. */
export interface ProgressOptions {
  /** The width of the terminal; the line never exceeds it. Default 80. */
  columns?: number;
  /** Draw a bar before the counts (when it fits). Default `true`. */
  bar?: boolean;
}

/**
 * Tasks per second, one decimal below 10.
 *
 * @param done Tasks completed.
 * @param elapsedMs In this many milliseconds.
 * @returns For example `3.2` or `140`.
 */
function rate(done: number, elapsedMs: number): string {
  const r = elapsedMs > 0 ? done / (elapsedMs / 1000) : 0;
  return r < 10 ? r.toFixed(1) : String(Math.round(r));
}

/**
 * Draws the progress line: a bar, then done/total, succeeded and failed,
 * running, waiting, workers and the completion rate since submit.
 * The bar is left out when fewer than 10 of its cells fit, and the line is
 * cut to `columns - 1` characters so that it never wraps.
 *
 * @param counts Where the run stands.
 * @param options Width and bar.
 * @returns One line, without a line break.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderProgress } from "./progress.ts";
 *
 * const counts = {
 *   total: 10, done: 5, succeeded: 4, failed: 1, running: 2, waiting: 3, workers: 2,
 *   elapsedMs: 2000,
 * };
 * assert.equal(
 *   renderProgress(counts, { bar: false }),
 *   "5/10: 4 ok, 1 failed; 2 running, 3 waiting; 2 workers; 2.5 tasks/s",
 * );
 * assert.equal(
 *   renderProgress(counts), // 80 columns: a bar of 10 cells fits
 *   "[#####.....] 5/10: 4 ok, 1 failed; 2 running, 3 waiting; 2 workers; 2.5 tasks/s",
 * );
 * ```
 */
export function renderProgress(counts: ProgressCounts, options: ProgressOptions = {}): string {
  const c = counts;
  const text = `${c.done}/${c.total}: ${c.succeeded} ok, ${c.failed} failed; ` +
    `${c.running} running, ${c.waiting} waiting; ${c.workers} worker${
      c.workers === 1 ? "" : "s"
    }; ` +
    `${rate(c.done, c.elapsedMs)} tasks/s`;
  const columns = options.columns ?? 80;
  const cells = Math.min(40, columns - 1 - text.length - 3);
  if ((options.bar ?? true) && cells >= 10) {
    const full = c.total > 0 ? Math.floor(cells * Math.min(c.done, c.total) / c.total) : 0;
    return `[${"#".repeat(full)}${".".repeat(cells - full)}] ${text}`;
  }
  return text.length < columns ? text : text.slice(0, Math.max(0, columns - 1));
}
