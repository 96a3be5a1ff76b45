/**
 * What a task used, as its worker measured it, and what it ran out of:
 * shared by the worker, which measures and enforces, and the manager, which
 * hands the numbers to the application (`completedTask.measured`) and learns
 * category sizes from them.
 *
 * @module
 */

/** How a worker measured a task. */
export type MeasureMethod =
  /** A cgroup v2 of its own: `memory.peak`, `cpu.stat`. */
  | "cgroup"
  /** Sampling its processes in `/proc`, and the shell's rusage at exit. */
  | "proc"
  /** Only the wall time, from the `result` line (CCTools' workers). */
  | "wall";

/**
 * What a task used. A field a worker did not measure is `undefined`:
 * CCTools' workers report only the wall time.
 */
export interface Measured {
  /** Peak resident memory of its whole process tree, in MB. */
  memoryMB?: number;
  /** Peak disk used in its sandbox, in MB. */
  diskMB?: number;
  /** CPU time (user + system) of all its processes, in seconds. */
  cpuSeconds?: number;
  /** Wall time from start to end, in seconds. */
  wallSeconds?: number;
  /** Average cores used: `cpuSeconds / wallSeconds`. */
  cores?: number;
  /** How it was measured. */
  method: MeasureMethod;
}

/** The resources a worker enforces. */
export const ENFORCED_RESOURCES = ["memory", "disk"] as const;

/** One of {@linkcode ENFORCED_RESOURCES}. */
export type EnforcedResource = typeof ENFORCED_RESOURCES[number];

/** A task stopped because it went over a limit. */
export interface Exhaustion {
  /** The resource it ran out of. */
  resource: EnforcedResource;
  /** Its limit, in MB. */
  limitMB: number;
  /** The peak measured when it was stopped, in MB. */
  peakMB: number;
}

/**
 * The `failure` text of a task stopped for going over a limit.
 *
 * @param e What it ran out of.
 * @returns One line naming the resource, the limit and the peak.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(
 *   exhaustionMessage({ resource: "memory", limitMB: 100, peakMB: 212.4 }),
 *   "memory exhausted: peak 212 MB over the limit of 100 MB",
 * );
 * assert.equal(
 *   exhaustionMessage({ resource: "disk", limitMB: 30, peakMB: 30.04 }),
 *   "disk exhausted: peak 30.04 MB over the limit of 30 MB",
 * );
 * ```
 */
export function exhaustionMessage(e: Exhaustion): string {
  const limit = round(e.limitMB, 0);
  // A peak just over the limit keeps the decimals that tell them apart.
  let peak = round(e.peakMB, 0);
  for (let d = 1; d <= 3 && Number(peak) <= Number(limit) && e.peakMB > e.limitMB; d++) {
    peak = round(e.peakMB, d);
  }
  return `${e.resource} exhausted: peak ${peak} MB over the limit of ${limit} MB`;
}

/** `mb` with at most `decimals` decimals, and one at least below 10 MB. */
function round(mb: number, decimals: number): string {
  const f = 10 ** (mb < 10 ? Math.max(decimals, 1) : decimals);
  return String(Math.round(mb * f) / f);
}
