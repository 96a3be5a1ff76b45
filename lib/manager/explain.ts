/**
 * Why a task waits, in words: the one place that answers "why does my task
 * not run?" for `wq.explain()` and for the log.
 *
 * @module
 */

import { kInternal, type Task } from "../task.ts";
import type { Core } from "./core.ts";
import { allocationFor, asksForNothing, type Resources } from "../resources.ts";
import { isWholeWorkerTask } from "./scheduler.ts";
import type { WorkerInfo } from "./worker_info.ts";
import { allocationOf, type Categories } from "./categories/categories.ts";
import type { SizedRequest } from "./categories/category.ts";
import { sizingNote } from "./categories/explain_sizing.ts";
import { FUNCTION_CALLS_VERSION, isCallCommand } from "../wire/function_call.ts";

const UNITS: Record<keyof Resources, string> = {
  cores: "cores",
  memory: "MB of memory",
  disk: "MB of disk",
  gpus: "GPUs",
};

/**
 * The largest amount of each resource on any one of the workers (on a
 * foreman, on its largest worker: `WorkerInfo.box`).
 *
 * @param workers Connected workers (handshake complete).
 * @returns The per-resource maxima.
 */
export function largestWorker(workers: Iterable<WorkerInfo>): Resources {
  const max: Resources = { cores: 0, memory: 0, disk: 0, gpus: 0 };
  for (const w of workers) {
    const t = w.box;
    if (t.cores > max.cores) max.cores = t.cores;
    if (t.memory > max.memory) max.memory = t.memory;
    if (t.disk > max.disk) max.disk = t.disk;
    if (t.gpus > max.gpus) max.gpus = t.gpus;
  }
  return max;
}

/**
 * Why a task can never run on the connected workers, or `undefined` if
 * some worker is large enough.
 *
 * @param task The task.
 * @param largest The per-resource maxima of the workers.
 * @param workerCount How many workers are connected.
 * @param sized What it asks for, if its category sizes it (else its own request).
 * @returns The reason, e.g. "task 17 needs 8 cores; the largest worker has 4".
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Task } from "../task.ts";
 * const t = new Task("x").specifyCores(8);
 * t.id = 17;
 * const why = unfitReason(t, { cores: 4, memory: 1000, disk: 1000, gpus: 0 }, 2);
 * assert.equal(why, "task 17 needs 8 cores; the largest worker has 4");
 * ```
 */
export function unfitReason(
  task: Task,
  largest: Resources,
  workerCount: number,
  sized?: SizedRequest,
): string | undefined {
  if (workerCount === 0) return undefined;
  if (sized ? asksForNothing(sized.req) : isWholeWorkerTask(task)) return undefined;
  const alloc = sized ? allocationOf(sized, largest) : allocationFor(task.resources, largest);
  for (const k of Object.keys(UNITS) as (keyof Resources)[]) {
    const want = alloc[k];
    if (want > largest[k]) {
      return `task ${task.id} needs ${want} ${UNITS[k]}; the largest worker has ${largest[k]}`;
    }
  }
  return undefined;
}

/** What `explainTask` looks at. */
export interface ExplainContext {
  core: Core;
  /** Waiting tasks too large for every worker, with the reason. */
  unfit: ReadonlyMap<Task, string>;
  isBlocked: (w: WorkerInfo) => boolean;
  /** The time now (ms), on the clock of the tasks' dispatch times. */
  now: number;
  /** The categories, for how they size the task. */
  categories?: Categories;
}

/**
 * Where a task is and, if it waits, why, in one sentence.
 *
 * @param taskId The task's id.
 * @param ctx The books and the manager's policies.
 * @returns The sentence.
 */
export function explainTask(taskId: number, ctx: ExplainContext): string {
  const task = ctx.core.tasks.get(taskId);
  if (!task) {
    return `task ${taskId} is not in the queue (never submitted, already returned, or cancelled)`;
  }
  const alloc = ctx.core.dispatches.get(taskId)?.alloc;
  const note = ctx.categories && task.state !== "complete" && task.state !== "returned" &&
    task.state !== "cancelled" && sizingNote(task, ctx.categories, alloc);
  const why = whereIs(task, ctx);
  return note ? `${why}; ${note}` : why;
}

function whereIs(task: Task, ctx: ExplainContext): string {
  const taskId = task.id;
  switch (task.state) {
    case "ready": {
      const unfit = ctx.unfit.get(task);
      if (unfit) return unfit;
      const workers = [...ctx.core.workers.values()].filter((x) => x.runsTasks);
      if (workers.length === 0) {
        const foremen = [...ctx.core.workers.values()].some((x) => x.ready && x.foreman);
        return `task ${taskId} waits: no worker is connected` +
          (foremen ? " (only foremen, with no workers of their own yet)" : "");
      }
      const open = workers.filter((x) => !ctx.isBlocked(x));
      if (open.length === 0) {
        return `task ${taskId} waits: every connected worker is on a blocked host`;
      }
      if (isCallCommand(task.command) && open.every((x) => x.fastPath < FUNCTION_CALLS_VERSION)) {
        return `task ${taskId} waits: it is a function call, and none of the ${open.length} connected ` +
          `worker(s) runs function calls (CCTools' workers never do; ours do unless started with --no-fast-path)`;
      }
      const avoided = task[kInternal].avoid;
      if (avoided && open.every((x) => avoided.has(x.id))) {
        return `task ${taskId} waits for a worker other than those where it was aborted as a straggler`;
      }
      const busy = open.filter((x) => x.tasks.size > 0).length;
      return `task ${taskId} waits for room on a worker: ${open.length} worker(s) connected, ${busy} busy, ` +
        `${ctx.core.inState.ready - 1} other task(s) waiting`;
    }
    case "sending":
    case "running":
    case "receiving": {
      const w = ctx.core.workerOf(task);
      const since = task.dispatchTime
        ? ` for ${((ctx.now - task.dispatchTime) / 1000).toFixed(1)} s`
        : "";
      return `task ${taskId} is ${task.state} on worker ${w?.label ?? "?"}${since}`;
    }
    default:
      return `task ${taskId} is ${task.state}${task.failure ? `: ${task.failure}` : ""}`;
  }
}
