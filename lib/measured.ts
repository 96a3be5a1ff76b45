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
 * ```
 */
export function exhaustionMessage(e: Exhaustion): string {
  return `${e.resource} exhausted: peak ${round(e.peakMB)} MB over the limit of ${
    round(e.limitMB)
  } MB`;
}

function round(mb: number): string {
  return mb >= 10 ? String(Math.round(mb)) : String(Math.round(mb * 10) / 10);
}
