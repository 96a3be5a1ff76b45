/**
 * What a worker's connection ({@linkcode WorkerConn} in `worker_conn.ts`)
 * reports, and to whom: the result entries it reads, what happened to
 * each output, and the {@linkcode ConnHost} it reports to.
 *
 * @module
 */

import type { Exhaustion, Measured } from "../measured.ts";
import type { Task } from "../task.ts";
import type { WorkerInfo } from "./worker_info.ts";

/** One `result` entry of a `send_results` reply. */
export interface WorkerResult {
  taskId: number;
  status: number;
  exitCode: number;
  execUsec: number;
  stdout: string;
  /** Whether stdout was cut at the manager's limit. */
  stdoutTruncated: boolean;
  /** The length of stdout the worker sent (before the manager's cut). */
  stdoutLength: number;
  /**
   * The name of the signal that killed the task's shell, if the worker said
   * so (`info task-signal`, which only our worker sends); `exitCode` is then
   * its number.
   */
  signal?: string;
  /** What the task used, if the worker said (`info task-measured`, ours only). */
  measured?: Measured;
  /** The limit it went over, if the worker stopped it for that. */
  exhausted?: Exhaustion;
}

/** What happened to one output of a task. */
export interface OutputOutcome {
  local: string;
  /** Why it did not arrive, if it did not. */
  missing?: string;
}

/** What the connection tells the manager. */
export interface ConnHost {
  /** The handshake is complete, or the worker's resources changed. */
  onWorkerUpdate(w: WorkerInfo): void;
  /** A task on this worker, by id, if it is there. */
  taskOn(w: WorkerInfo, taskId: number): Task | undefined;
  /** The cache names of a task's outputs on this worker. */
  outputNames(task: Task): string[];
  /** A task finished on the worker and its outputs were fetched. */
  onTaskResult(w: WorkerInfo, task: Task, result: WorkerResult, outputs: OutputOutcome[]): void;
  /** The task's result arrived; its outputs are about to be fetched. */
  onTaskReceiving(w: WorkerInfo, task: Task): void;
  /** Protocol 11: the worker made an input (`cache-update`). */
  onCacheUpdate(w: WorkerInfo, name: string, size: number): void;
  /** Protocol 11: the worker could not make an input (`cache-invalid`), and why. */
  onCacheInvalid(w: WorkerInfo, name: string, text: string): void;
  /** Logs a line. */
  log(level: "debug" | "warn", msg: string): void;
}

/**
 * Why a worker speaking `protocol` is refused: ours are 9 and 11.
 *
 * @param protocol The number in its handshake.
 * @returns The sentence, naming its version and both of ours.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(refusal(10), "it speaks protocol 10; this manager speaks 9 and 11");
 * ```
 */
export function refusal(protocol: number): string {
  return `it speaks protocol ${protocol}; this manager speaks 9 and 11`;
}
