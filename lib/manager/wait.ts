/**
 * `wq.wait({ timeoutMs, signal })`: waiting for a completed task, with an
 * answer that tells its cases apart.
 *
 * @module
 */

import type { CompletedTask } from "../completed_task.ts";
import type { Task } from "../task.ts";
import type { Waiters } from "./waiters.ts";

/** Options of `wq.wait()`'s object form. */
export interface WaitOptions {
  /** How long to wait, in ms; `Infinity` (the default) waits until a task completes. */
  timeoutMs?: number;
  /** Stops waiting when aborted. */
  signal?: AbortSignal;
}

/**
 * What `wq.wait({ ... })` found, told apart by `status`:
 *
 * - `task`: a completed task, with its outputs in place;
 * - `timeout`: `timeoutMs` passed first;
 * - `empty`: no submitted task remains for `wait()` (none was submitted, or
 *   all were returned, cancelled or claimed by `run()`);
 * - `closed`: the queue is closed;
 * - `aborted`: `signal` was aborted; `reason` is its reason.
 */
export type WaitResult =
  | { status: "task"; task: CompletedTask }
  | { status: "timeout" }
  | { status: "empty" }
  | { status: "closed" }
  | { status: "aborted"; reason: unknown };

/** What {@linkcode waitForTask} needs of the queue. */
export interface WaitSource {
  /** Takes the oldest completed task, if any. */
  take(): Task | undefined;
  /** Whether no task remains for `wait()`. */
  empty(): boolean;
  /** Whether the queue is closed. */
  closed(): boolean;
  /** Where to sleep until a task completes. */
  waiters: Waiters;
}

/**
 * Waits for a completed task.
 *
 * @param source The queue.
 * @param options Timeout and signal.
 * @returns What it found.
 * @throws {RangeError} If `timeoutMs` is negative or not a number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Waiters } from "./waiters.ts";
 *
 * const source = { take: () => undefined, empty: () => false, closed: () => false, waiters: new Waiters() };
 * assert.deepEqual(await waitForTask(source, { timeoutMs: 1 }), { status: "timeout" });
 * const ac = new AbortController();
 * ac.abort("enough");
 * assert.deepEqual(await waitForTask(source, { signal: ac.signal }), {
 *   status: "aborted",
 *   reason: "enough",
 * });
 * ```
 */
export async function waitForTask(source: WaitSource, options: WaitOptions): Promise<WaitResult> {
  const timeout = options.timeoutMs ?? Infinity;
  if (typeof timeout !== "number" || !(timeout >= 0)) {
    throw new RangeError(`Cannot wait: timeoutMs must be 0 or more, got ${timeout}`);
  }
  const deadline = Date.now() + timeout;
  const signal = options.signal;
  for (;;) {
    const task = source.take();
    if (task) return { status: "task", task: task as CompletedTask };
    if (source.closed()) return { status: "closed" };
    if (source.empty()) return { status: "empty" };
    if (signal?.aborted) return { status: "aborted", reason: signal.reason };
    const left = deadline - Date.now();
    if (left <= 0) return { status: "timeout" };
    await source.waiters.sleep(left, signal);
  }
}

/** `wait(-1)`'s options (no timeout, no signal), made once. */
export const FOREVER: WaitOptions = { timeoutMs: Infinity };

/**
 * A wait's task, or `null` for a timeout, an empty queue and a closed one
 * alike (the CCTools form of `wait()`).
 *
 * @param r What the wait found.
 * @returns The task or `null`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(taskOrNull({ status: "timeout" }), null);
 * ```
 */
export function taskOrNull(r: WaitResult): CompletedTask | null {
  return r.status === "task" ? r.task : null;
}
