/**
 * What `wq-run` reports: one JSON record per completed task, and the
 * summary line at the end.
 *
 * @module
 */

import {
  type Task,
  WORK_QUEUE_RESULT_DISK_ALLOC_FULL,
  WORK_QUEUE_RESULT_FORSAKEN,
  WORK_QUEUE_RESULT_INPUT_MISSING,
  WORK_QUEUE_RESULT_MAX_RETRIES,
  WORK_QUEUE_RESULT_OUTPUT_MISSING,
  WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION,
  WORK_QUEUE_RESULT_RMONITOR_ERROR,
  WORK_QUEUE_RESULT_SIGNAL,
  WORK_QUEUE_RESULT_STDOUT_MISSING,
  WORK_QUEUE_RESULT_SUCCESS,
  WORK_QUEUE_RESULT_TASK_MAX_RUN_TIME,
  WORK_QUEUE_RESULT_TASK_TIMEOUT,
  WORK_QUEUE_RESULT_UNKNOWN,
} from "../../mod.ts";

/** One completed task, as a line of `wq-run`'s output. */
export interface TaskRecord {
  /** The manager's task id (1, 2, ... in file order). */
  id: number;
  /** Its line in the task file. */
  line: number;
  /** Its tag, if it has one. */
  tag: string | null;
  /** The shell command. */
  command: string;
  /** Whether it succeeded: it ran, its outputs came back, and it exited with 0. */
  ok: boolean;
  /** How it ended: `success`, `input_missing`, `output_missing`, `max_retries`, ... */
  result: string;
  /**
   * The exit code of its shell; null if it did not run, or did not exit on
   * its own (a signal the worker named, a timeout).
   */
  exitCode: number | null;
  /** Its standard output and error, merged. */
  output: string;
  /** What went wrong, in words, when `result` is not `success`. */
  failure: string | null;
  /** The worker that ran it (`ip:port`), and the host name that worker reported. */
  host: string | null;
  hostname: string | null;
  /** When it was submitted, last sent to a worker, and completed (ISO 8601). */
  submitted: string | null;
  started: string | null;
  finished: string | null;
  /** How long the command ran on the worker, in milliseconds. */
  ms: number | null;
  /** Infrastructure failures it survived (lost workers, fast aborts). */
  attempts: number;
}

const RESULT_NAMES = new Map<number, string>([
  [WORK_QUEUE_RESULT_SUCCESS, "success"],
  [WORK_QUEUE_RESULT_INPUT_MISSING, "input_missing"],
  [WORK_QUEUE_RESULT_OUTPUT_MISSING, "output_missing"],
  [WORK_QUEUE_RESULT_STDOUT_MISSING, "stdout_missing"],
  [WORK_QUEUE_RESULT_SIGNAL, "signal"],
  [WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION, "resource_exhaustion"],
  [WORK_QUEUE_RESULT_TASK_TIMEOUT, "task_timeout"],
  [WORK_QUEUE_RESULT_UNKNOWN, "unknown"],
  [WORK_QUEUE_RESULT_FORSAKEN, "forsaken"],
  [WORK_QUEUE_RESULT_MAX_RETRIES, "max_retries"],
  [WORK_QUEUE_RESULT_TASK_MAX_RUN_TIME, "task_max_run_time"],
  [WORK_QUEUE_RESULT_DISK_ALLOC_FULL, "disk_alloc_full"],
  [WORK_QUEUE_RESULT_RMONITOR_ERROR, "rmonitor_error"],
]);

function time(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

/**
 * The record of a completed task. This is the one place that reads a
 * finished {@linkcode Task}'s results.
 *
 * @param task A task that `wait()` returned.
 * @param line Its line in the task file.
 * @returns The record, for `JSON.stringify`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Task } from "../../mod.ts";
 * import { kInternal } from "../task.ts";
 * import { taskRecord } from "./report.ts";
 *
 * const t = new Task("false");
 * t.id = 3;
 * // What the queue sets when the task completes (read-only to applications):
 * Object.assign(t[kInternal].record, { result: 0, returnStatus: 1, executionTime: 2500 });
 * const r = taskRecord(t, 7);
 * assert.deepEqual([r.id, r.line, r.ok, r.result, r.exitCode, r.ms], [3, 7, false, "success", 1, 3]);
 * ```
 */
export function taskRecord(task: Task, line: number): TaskRecord {
  const result = task.result ?? WORK_QUEUE_RESULT_UNKNOWN;
  return {
    id: task.id,
    line,
    tag: task.tag ?? null,
    command: task.command,
    ok: task.ok ?? false,
    result: RESULT_NAMES.get(result) ?? `result_${result}`,
    exitCode: task.exitCode ?? null,
    output: task.output,
    failure: task.failure ?? null,
    host: task.host ?? null,
    hostname: task.hostname ?? null,
    submitted: time(task.submitTime),
    started: time(task.dispatchTime),
    finished: time(task.finishTime),
    ms: task.runMs == null ? null : Math.round(task.runMs),
    attempts: task.attempts,
  };
}

/** What the summary line says. */
export interface Summary {
  /** Tasks in the task file. */
  total: number;
  /** Tasks that succeeded, and the lines of those that failed, in completion order. */
  succeeded: number;
  failedLines: number[];
  /** Milliseconds from submit to the end. */
  elapsedMs: number;
  /** The run was stopped (by a signal) before every task completed. */
  interrupted?: boolean;
}

/**
 * The summary line printed at the end of a run.
 *
 * @param s The counts.
 * @returns One line, without a line break.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summaryLine } from "./report.ts";
 *
 * assert.equal(
 *   summaryLine({ total: 4, succeeded: 2, failedLines: [9, 3], elapsedMs: 1500 }),
 *   "4 tasks: 2 succeeded, 2 failed (lines 3, 9) in 1.5 s",
 * );
 * ```
 */
export function summaryLine(s: Summary): string {
  const failed = s.failedLines.length;
  const lines = s.failedLines.toSorted((a, b) => a - b);
  const shown = lines.length > 10 ? [...lines.slice(0, 10), "..."] : lines;
  const which = failed === 0 ? "" : ` (line${failed === 1 ? "" : "s"} ${shown.join(", ")})`;
  const missing = s.total - s.succeeded - failed;
  const notDone = missing > 0 ? `, ${missing} not done` : "";
  return `${s.total} task${s.total === 1 ? "" : "s"}: ${s.succeeded} succeeded, ${failed} failed` +
    `${which}${notDone} in ${(s.elapsedMs / 1000).toFixed(1)} s${
      s.interrupted ? " (interrupted)" : ""
    }`;
}
