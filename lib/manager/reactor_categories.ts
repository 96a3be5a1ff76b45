/**
 * The reactor's part in category sizing (`categories/`): what a result
 * says a task used, what its category learns from it, and whether a task
 * that ran out of a resource runs again with its category's maximum.
 *
 * @module
 */

import {
  WORK_QUEUE_RESULT_DISK_ALLOC_FULL,
  WORK_QUEUE_RESULT_INPUT_MISSING,
  WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION,
  WORK_QUEUE_RESULT_SUCCESS,
} from "../constants.ts";
import { exhaustionMessage, type Measured } from "../measured.ts";
import { kInternal, type Task } from "../task.ts";
import type { WorkerResult } from "./conn_host.ts";
import { largestWorker } from "./explain.ts";
import type { Reactor } from "./reactor.ts";
import type { WorkerInfo } from "./worker_info.ts";

/**
 * What a task used: what our worker measured, or the wall time of the
 * `result` line (CCTools' workers); `null` if the command did not run.
 *
 * @param res The worker's `result` entry.
 * @returns The measurement, or `null`.
 */
export function measuredOf(res: WorkerResult): Measured | null {
  if (res.measured) return res.measured;
  const ran = res.status !== WORK_QUEUE_RESULT_INPUT_MISSING &&
    !(res.status === WORK_QUEUE_RESULT_DISK_ALLOC_FULL && res.execUsec === 0);
  return ran ? { method: "wall", wallSeconds: res.execUsec / 1e6 } : null;
}

/**
 * The task's category learns what it used (from a success, or an
 * exhaustion); a new first allocation asks for a scheduling pass.
 *
 * @param r The reactor.
 * @param task The task.
 * @param m What it used.
 * @param res Its result.
 */
export function learn(r: Reactor, task: Task, m: Measured, res: WorkerResult): void {
  const exhausted = res.status === WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION;
  if (res.status !== WORK_QUEUE_RESULT_SUCCESS && !exhausted) return;
  if (!exhausted && m.memoryMB === undefined && m.diskMB === undefined && m.cores === undefined) {
    return; // the wall time alone teaches nothing
  }
  const changed = r.categories.lookup(task.category).accumulate(m, {
    exhausted: exhausted ? res.exhausted ?? null : undefined,
    steadyAfter: r.categories.steadyAfter,
    largest: () => largestWorker([...r.core.workers.values()].filter((w) => w.runsTasks)),
  });
  if (changed) {
    r.comm.log("debug", `category '${task.category}' sizes its tasks anew`);
    r.comm.askForScheduling();
  }
}

/**
 * Whether a task that ran out of a resource runs again with its category's
 * maximum: only if it ran with the first allocation (and what ran out is
 * not what it declares, nor above the category's maximum). It then asks
 * for the maximum; the caller puts it back in the queue, as a new try that
 * does not count against `maxRetries`.
 *
 * @param r The reactor.
 * @param w Its worker.
 * @param task The task.
 * @param res Its result (status RESOURCE_EXHAUSTION).
 * @returns Why it runs again, or `undefined` if it does not.
 */
export function retryAtMax(
  r: Reactor,
  w: WorkerInfo,
  task: Task,
  res: WorkerResult,
): string | undefined {
  const internal = task[kInternal];
  const c = r.categories.get(task.category);
  if (!c || internal.sizedAs === undefined) return undefined;
  const verdict = c.onExhausted(task.resources, internal.sizedAs, res.exhausted);
  const what = res.exhausted ? exhaustionMessage(res.exhausted) : "resource exhaustion";
  if (!verdict.retry) {
    r.comm.log("debug", `task ${task.id} is not retried (${what}): ${verdict.why}`);
    return undefined;
  }
  internal.label = "max";
  return `${what} on worker ${w.label} at the first allocation of category '${task.category}'; ` +
    `it runs again with the category's maximum`;
}
