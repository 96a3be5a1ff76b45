/**
 * What the queue keeps about a task, and what it means: its
 * {@linkcode TaskState}, the {@linkcode TaskRecord} the manager's reactor
 * fills in, the
 * {@linkcode Outcome} of a `WORK_QUEUE_RESULT_*` value, and the pure
 * functions behind a finished task's `ok`, `outcome`, `exitCode` and
 * `signal`.
 *
 * @module
 */

import {
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
} from "./constants.ts";
import type { Exhaustion, Measured } from "./measured.ts";

/**
 * The paper's task states: `ready` (waiting for a worker), `sending`
 * (inputs on their way), `running`, `receiving` (outputs on their way back),
 * `complete` (waiting for `wait()` to return it), `returned` (handed back),
 * `cancelled`.
 */
export type TaskState =
  | "ready"
  | "sending"
  | "running"
  | "receiving"
  | "complete"
  | "returned"
  | "cancelled";

/**
 * How a task ended, in words: the `WORK_QUEUE_RESULT_*` value as a string,
 * except that `"signal"` also covers a command killed by a signal that the
 * worker reported as a success (as CCTools' protocol does), and
 * `"cancelled"` a task the application cancelled.
 */
export type Outcome =
  | "success"
  | "input-missing"
  | "output-missing"
  | "stdout-missing"
  | "signal"
  | "resource-exhaustion"
  | "task-timeout"
  | "unknown"
  | "forsaken"
  | "max-retries"
  | "max-run-time"
  | "disk-full"
  | "monitor-error"
  | "cancelled";

/**
 * What the queue records about a task's latest submission and run: the
 * fields a `Task` shows read-only (`result`, `returnStatus`, …). The
 * manager's reactor is their one writer.
 */
export interface TaskRecord {
  /** One of the `WORK_QUEUE_RESULT_*` values, once complete. */
  result: number | undefined;
  /** The command's exit code (or the signal number that killed it), once it ran. */
  returnStatus: number | undefined;
  /** Standard output and error of the command, merged, as text. */
  output: string;
  /** Why it failed, in words, when `result` is not success. */
  failure: string | undefined;
  /** The address (`ip:port`) of the worker it was last sent to. */
  host: string | undefined;
  /** The host name that worker reported. */
  hostname: string | undefined;
  /** When it was submitted (ms on the queue's clock: since the epoch). */
  submitTime: number | undefined;
  /** When it was last sent to a worker (ms). */
  dispatchTime: number | undefined;
  /** When it completed, or was cancelled (ms). */
  finishTime: number | undefined;
  /** The command's run time on the worker, in microseconds. */
  executionTime: number | undefined;
  /**
   * The name of the signal that killed the command (`"SIGKILL"`), when a
   * worker says so; `null` otherwise (CCTools' worker never does).
   */
  signal: string | null;
  /**
   * What the command used, as its worker measured it (`null` if it never
   * ran). CCTools' workers send only the wall time.
   */
  measured: Measured | null;
  /** The limit it went over, if its worker stopped it for that (else `null`). */
  exhausted: Exhaustion | null;
  /** Whether the application cancelled it (it then counts as finished). */
  cancelled: boolean;
}

/**
 * A record with nothing in it yet.
 *
 * @param submitTime When the task was submitted (ms), if it was.
 * @returns A fresh record.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const r = emptyRecord(1000);
 * assert.deepEqual([r.submitTime, r.result, r.signal, r.cancelled], [1000, undefined, null, false]);
 * ```
 */
export function emptyRecord(submitTime?: number): TaskRecord {
  return {
    result: undefined,
    returnStatus: undefined,
    output: "",
    failure: undefined,
    host: undefined,
    hostname: undefined,
    submitTime,
    dispatchTime: undefined,
    finishTime: undefined,
    executionTime: undefined,
    signal: null,
    measured: null,
    exhausted: null,
    cancelled: false,
  };
}

/** Each `WORK_QUEUE_RESULT_*` value and its outcome. */
const OUTCOMES: ReadonlyMap<number, Outcome> = new Map<number, Outcome>([
  [WORK_QUEUE_RESULT_SUCCESS, "success"],
  [WORK_QUEUE_RESULT_INPUT_MISSING, "input-missing"],
  [WORK_QUEUE_RESULT_OUTPUT_MISSING, "output-missing"],
  [WORK_QUEUE_RESULT_STDOUT_MISSING, "stdout-missing"],
  [WORK_QUEUE_RESULT_SIGNAL, "signal"],
  [WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION, "resource-exhaustion"],
  [WORK_QUEUE_RESULT_TASK_TIMEOUT, "task-timeout"],
  [WORK_QUEUE_RESULT_UNKNOWN, "unknown"],
  [WORK_QUEUE_RESULT_FORSAKEN, "forsaken"],
  [WORK_QUEUE_RESULT_MAX_RETRIES, "max-retries"],
  [WORK_QUEUE_RESULT_TASK_MAX_RUN_TIME, "max-run-time"],
  [WORK_QUEUE_RESULT_DISK_ALLOC_FULL, "disk-full"],
  [WORK_QUEUE_RESULT_RMONITOR_ERROR, "monitor-error"],
]);

/** Outcomes in which the command never ran, or did not end on its own: no exit code. */
const NO_EXIT_CODE: ReadonlySet<Outcome> = new Set<Outcome>([
  "input-missing",
  "signal",
  "task-timeout",
  "forsaken",
  "max-retries",
  "max-run-time",
  "cancelled",
]);

/**
 * The outcome of a `WORK_QUEUE_RESULT_*` value alone; a value that is not
 * one of them is `"unknown"`.
 *
 * @param result A `WORK_QUEUE_RESULT_*` value.
 * @returns Its outcome.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(outcomeOfResult(48), "max-retries");
 * assert.equal(outcomeOfResult(3), "unknown");
 * ```
 */
export function outcomeOfResult(result: number): Outcome {
  return OUTCOMES.get(result) ?? "unknown";
}

/**
 * Whether a record is final: the task completed (it has a result) or was
 * cancelled. A finished task's `ok`, `outcome`, `exitCode` … are defined.
 *
 * @param r The record.
 * @returns `true` once the task completed or was cancelled.
 */
export function isFinished(r: TaskRecord): boolean {
  return r.result !== undefined || r.cancelled;
}

/**
 * How the task ended: `"cancelled"` if it was cancelled, `"signal"` if a
 * worker named a signal for a success, else the outcome of its result.
 *
 * @param r The record.
 * @returns The outcome, or `undefined` before the task is finished.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const r = emptyRecord(0);
 * assert.equal(outcomeOf(r), undefined);
 * Object.assign(r, { result: 0, returnStatus: 9, signal: "SIGKILL" });
 * assert.equal(outcomeOf(r), "signal");
 * ```
 */
export function outcomeOf(r: TaskRecord): Outcome | undefined {
  if (r.cancelled) return "cancelled";
  if (r.result === undefined) return undefined;
  if (r.result === WORK_QUEUE_RESULT_SUCCESS && r.signal !== null) return "signal";
  return outcomeOfResult(r.result);
}

/**
 * The command's exit code, when it exited on its own: `null` when it never
 * ran (its inputs were missing, no worker could run it, it was cancelled),
 * or a signal, a timeout or the worker ended it.
 *
 * @param r The record.
 * @returns The exit code, `null`, or `undefined` before the task is finished.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const r = emptyRecord(0);
 * Object.assign(r, { result: 0, returnStatus: 3 });
 * assert.equal(exitCodeOf(r), 3);
 * Object.assign(r, { signal: "SIGKILL", returnStatus: 9 });
 * assert.equal(exitCodeOf(r), null);
 * ```
 */
export function exitCodeOf(r: TaskRecord): number | null | undefined {
  const outcome = outcomeOf(r);
  if (outcome === undefined) return undefined;
  if (NO_EXIT_CODE.has(outcome) || r.signal !== null) return null;
  return r.returnStatus ?? null;
}

/**
 * Whether the task succeeded: it ran, every output came back, and the
 * command exited with 0.
 *
 * @param r The record.
 * @returns `true` or `false`, or `undefined` before the task is finished.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const r = emptyRecord(0);
 * Object.assign(r, { result: 0, returnStatus: 0 });
 * assert.equal(okOf(r), true);
 * Object.assign(r, { result: 2 }); // an output is missing
 * assert.equal(okOf(r), false);
 * ```
 */
export function okOf(r: TaskRecord): boolean | undefined {
  const outcome = outcomeOf(r);
  if (outcome === undefined) return undefined;
  return outcome === "success" && exitCodeOf(r) === 0;
}
