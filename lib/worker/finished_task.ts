/**
 * A finished task on the worker, as its `result` line (and the `info`
 * lines before it) report it.
 *
 * @module
 */

import type { Exhaustion, Measured } from "../measured.ts";

/** A finished task, as reported in a `result` line. */
export interface TaskResult {
  /** The task id. */
  id: number;
  /** The work_queue_result value (0 success, 40 forsaken, …). */
  status: number;
  /** Exit code, or signal number. */
  exit: number;
  /**
   * The name of the signal that killed the task's shell (`SIGKILL`), if one
   * did; then `exit` is its number.
   */
  signal?: string;
  /** The file holding stdout, when `stdoutLength` > 0. */
  stdoutPath: string;
  /** How many bytes of stdout to send. */
  stdoutLength: number;
  /** The worker's own explanation, sent as the stdout instead of the file (it says why the task did not run). */
  stdoutText?: Uint8Array;
  /** Execution time in microseconds. */
  usec: number;
  /** What the task used, when it was measured (sent as `info task-measured`). */
  measured?: Measured;
  /** The limit it went over, when it was stopped for that (status 16). */
  exhausted?: Exhaustion;
}

/** Why a task does not run (to its end), as its result says: the status, the reason, the exit code. */
export interface Refusal {
  /** The work_queue_result value. */
  status: number;
  /** The reason, in words; it becomes the task's output. */
  why: string;
  /** The exit code to report; default 0. */
  exit?: number;
}

const encoder = new TextEncoder();

/**
 * The result of a task that did not run (to its end): its output is the
 * reason, `wq-worker: <why>`, as CCTools' worker words its own.
 *
 * @param id The task.
 * @param r The status, the reason, the exit code.
 * @returns The result.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const r = refusedResult(7, { status: 64, why: "the disk is full" });
 * assert.equal(new TextDecoder().decode(r.stdoutText), "wq-worker: the disk is full\n");
 * assert.deepEqual([r.status, r.exit, r.stdoutLength], [64, 0, 28]);
 * ```
 */
export function refusedResult(id: number, r: Refusal): TaskResult {
  const text = encoder.encode(`wq-worker: ${r.why}\n`);
  return {
    id,
    status: r.status,
    exit: r.exit ?? 0,
    usec: 0,
    stdoutPath: "",
    stdoutLength: text.length,
    stdoutText: text,
  };
}
