/**
 * `CompletedTask`: the type of a task that the queue hands back.
 *
 * @module
 */

import type { Measured } from "./measured.ts";
import type { Task } from "./task.ts";
import type { Outcome, TaskState } from "./task_result.ts";

/**
 * A task the queue handed back (from `wait()`, `for await` or `run()`): the
 * same `Task` object, typed with every result field defined.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkQueue } from "../mod.ts";
 *
 * await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1" });
 * const done: CompletedTask | null = await wq.wait(0); // nothing was submitted
 * assert.equal(done, null);
 * function report(t: CompletedTask<{ n: number }>): string {
 *   return t.ok ? `${t.data.n}: ok in ${t.runMs} ms` : `${t.data.n}: ${t.outcome}, exit ${t.exitCode}`;
 * }
 * assert.equal(typeof report, "function");
 * ```
 */
export type CompletedTask<D = unknown> = Task<D> & {
  readonly state: TaskState;
  readonly ok: boolean;
  readonly outcome: Outcome;
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly measured: Measured | null;
  readonly result: number;
  readonly returnStatus: number;
  readonly output: string;
  readonly failure: string | null;
  readonly host: string | null;
  readonly hostname: string | null;
  readonly submittedAt: number;
  readonly dispatchedAt: number | null;
  readonly finishedAt: number;
  readonly runMs: number | null;
  readonly data: D;
};
