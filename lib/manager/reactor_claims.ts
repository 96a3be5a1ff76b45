/**
 * The reactor's events where the application takes a task out of the
 * queue: `onCancel` (at any point), `onClaim` (`run()` claims it) and
 * `takeCompleted` (`wait()` takes it once it has completed).
 *
 * @module
 */

import { kInternal, type Task } from "../task.ts";
import type { Reactor } from "./reactor.ts";

/**
 * Cancels a task in any state: it leaves the queue (and its worker, which
 * is told to kill it).
 *
 * @param r The reactor.
 * @param id The task's id.
 * @returns The task, or `null` if no such task is in the queue.
 */
export function onCancel(r: Reactor, id: number): Task | null {
  const c = r.core;
  const task = c.tasks.get(id);
  if (!task?.state) return null;
  const from = task.state;
  const d = c.dispatches.get(id);
  c.transition(task, "cancelled", { reason: "cancelled by the application" });
  // Finished, as far as the application goes: outcome "cancelled", finishedAt now.
  task[kInternal].record.cancelled = true;
  task[kInternal].record.finishTime = r.clock.now();
  r.fit.unfit.delete(task);
  if (d) {
    r.comm.send(d.worker.id, { kind: "cleanup", task, dispatch: d });
    r.comm.askForScheduling();
  }
  r.comm.emit({ type: "task-cancelled", task, from });
  if (r.claimed.delete(task)) r.comm.deliver(task);
  return task;
}

/**
 * `run()` claims a task: when it completes (or is cancelled) it goes to
 * `run()`'s caller, not to `wait()`. A task that has completed already is
 * taken at once.
 *
 * @param r The reactor.
 * @param task A task in the queue.
 * @returns Whether it had completed (it is now `returned`).
 */
export function onClaim(r: Reactor, task: Task): boolean {
  if (task.state === "complete") {
    r.core.transition(task, "returned");
    return true;
  }
  r.claimed.add(task);
  return false;
}

/**
 * `wait()` takes the oldest completed task, which becomes `returned`.
 *
 * @param r The reactor.
 * @returns The task, or `undefined` if none has completed.
 */
export function takeCompleted(r: Reactor): Task | undefined {
  const first = r.core.complete.first();
  if (first) r.core.transition(first, "returned");
  return first;
}
