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
