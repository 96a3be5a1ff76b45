/**
 * The scheduler: given the ready tasks and the workers, decide which task
 * goes where. It is pure and synchronous: it reads the books and returns
 * assignments; the manager carries them out. Which worker a task gets among
 * those where it fits is the choice of its algorithm (`choose_worker.ts`).
 *
 * @module
 */

import { WORK_QUEUE_SCHEDULE_FCFS, WORK_QUEUE_SCHEDULE_UNSET } from "../constants.ts";
import { kInternal, type Task } from "../task.ts";
import { type Candidate, type ChooserContext, chooseWorker } from "./choose_worker.ts";
import { allocationFor, asksForNothing, fits, type Resources } from "../resources.ts";
import { allocationOf } from "./categories/categories.ts";
import type { SizedRequest } from "./categories/category.ts";
import type { WorkerInfo } from "./worker_info.ts";
import { FUNCTION_CALLS_VERSION, isCallCommand } from "../wire/function_call.ts";

/**
 * One decision: run `task` on `worker` with `alloc`; `ahead`: queued ahead on
 * a fast-path worker, to start there when a slot frees.
 */
export interface Assignment {
  task: Task;
  worker: WorkerInfo;
  alloc: Resources;
  ahead: boolean;
}

/** What a pass needs besides tasks and workers. */
export interface ScheduleOptions {
  /** The queue's algorithm, for tasks that set none. Default FCFS. */
  algorithm?: number;
  /** How many ready tasks that fit nowhere may be passed over before the pass stops. Default 1000. */
  maxSkips?: number;
  /** Whether a worker may get no tasks (its host is blocked). */
  isBlocked?: (w: WorkerInfo) => boolean;
  /** Random numbers in [0, 1), for RAND. */
  random?: () => number;
  /** The locality keys and sizes of a task's cacheable inputs, for FILES. */
  localityKeys?: (task: Task) => readonly string[];
  /**
   * What a task asks for, when its category sizes it (`undefined`: its own
   * `resources`). Leave unset when no category sizes tasks.
   */
  sizer?: { sized(task: Task): SizedRequest | undefined };
}

/** Whether a task asks for no resource, and so takes a whole worker. */
export function isWholeWorkerTask(task: Task): boolean {
  const r = task.resources;
  return r.cores === undefined && r.memory === undefined && r.disk === undefined &&
    r.gpus === undefined;
}

/**
 * Whether a layer (the running tasks, or those queued ahead) has room: empty,
 * or some resource free and not full by {@linkcode isFull}'s rule. A busy
 * worker with every core taken but memory to spare has no room: left open,
 * it would be tried, and fail, for every ready task of the pass (up to
 * `maxSkips` of them, each against every such worker).
 */
function hasRoom(t: Resources, u: Resources, busy: boolean): boolean {
  if (!busy) return true;
  if (isFull(t, u, false)) return false;
  return u.cores < t.cores || u.memory < t.memory || u.disk < t.disk || u.gpus < t.gpus;
}

/** Whether a layer is full for this pass: a whole-worker task, or every core (and GPU) taken. */
function isFull(t: Resources, u: Resources, whole: boolean): boolean {
  return whole || (t.cores > 0 && u.cores >= t.cores && t.gpus <= u.gpus);
}

/**
 * What a task takes on a worker: what it asks for, or, if it asks for
 * nothing, the worker's box (the whole worker; a foreman's largest worker).
 */
function allocOn(w: WorkerInfo, task: Task, sized: SizedRequest | undefined): Resources {
  return sized ? allocationOf(sized, w.box) : allocationFor(task.resources, w.box);
}

/**
 * Whether an allocation fits beside what is in use; on a foreman, also on
 * its largest worker, since a task runs on one of them.
 */
function fitsOn(w: WorkerInfo, alloc: Resources, inUse: Resources): boolean {
  return fits(alloc, { total: w.total, inUse }) && (!w.foreman || fits(alloc, { total: w.box }));
}

/**
 * Places ready tasks, in order, each on a worker where it fits, chosen by
 * its algorithm. The pass ends when no worker has room, so its cost follows
 * the number of free slots (and the bounded skips), not the queue's length.
 *
 * A foreman (`WorkerInfo.foreman`) takes tasks while their sum fits its
 * totals and each fits its largest worker; one that asks for nothing takes
 * that largest worker, not the whole foreman (as in CCTools). A worker that
 * stands for no worker (a foreman without workers) gets none.
 *
 * A fast-path worker (`WorkerInfo.fastPath`) also takes tasks queued ahead:
 * a second layer as large as the worker, used only for a task that fits on
 * no worker's free slots, so that no task waits on a busy worker while
 * another has a free slot.
 *
 * @param ready Ready tasks in dispatch order.
 * @param workers Connected workers.
 * @param options The queue's algorithm, blocked hosts, bounds.
 * @returns The assignments, in order.
 */
export function schedule(
  ready: Iterable<Task>,
  workers: Iterable<WorkerInfo>,
  options: ScheduleOptions = {},
): Assignment[] {
  const maxSkips = options.maxSkips ?? 1000;
  const queueAlg = options.algorithm ?? WORK_QUEUE_SCHEDULE_FCFS;
  const ctx: ChooserContext = {
    random: options.random ?? Math.random,
    localityKeys: options.localityKeys ?? (() => []),
  };
  // Tentative books for this pass, per worker with any room.
  const open: Candidate[] = [];
  let anyAhead = false;
  for (const w of workers) {
    if (!w.runsTasks || options.isBlocked?.(w)) continue;
    const busy = w.tasks.size - w.aheadCount > 0;
    const room = hasRoom(w.total, w.inUse, busy);
    const c: Candidate = { w, inUse: { ...w.inUse }, busy, full: !room };
    if (w.fastPath > 0) {
      c.ahead = { ...w.ahead };
      c.aheadBusy = w.aheadCount > 0;
      c.aheadFull = !hasRoom(w.total, w.ahead, c.aheadBusy);
      anyAhead ||= !c.aheadFull;
    }
    if (room || c.aheadFull === false) open.push(c);
  }
  if (open.length === 0) return [];
  // Connection order, whatever order the caller's index keeps.
  if (open.length > 1) open.sort((a, b) => a.w.id - b.w.id);
  const out: Assignment[] = [];
  let skips = 0;
  const fitting: Candidate[] = [];
  const sizer = options.sizer;
  for (const task of ready) {
    if (open.length === 0 || skips > maxSkips) break;
    const sized = sizer?.sized(task);
    const whole = sized ? asksForNothing(sized.req) : isWholeWorkerTask(task);
    const avoid = task[kInternal].avoid;
    const alg = task.algorithm === WORK_QUEUE_SCHEDULE_UNSET ? queueAlg : task.algorithm;
    // FCFS needs only the first fit; the others compare every fit.
    const firstOnly = alg === WORK_QUEUE_SCHEDULE_FCFS;
    fitting.length = 0;
    // A function call goes only to our workers that run them (docs/functions.md).
    const call = isCallCommand(task.command);
    // First a free slot anywhere; then, only if there is none, a place in a queue ahead.
    let ahead = false;
    for (let layer = 0; layer < (anyAhead ? 2 : 1) && fitting.length === 0; layer++) {
      ahead = layer === 1;
      for (const o of open) {
        if (avoid?.has(o.w.id)) continue;
        if (call && o.w.fastPath < FUNCTION_CALLS_VERSION) continue;
        const inUse = ahead ? o.ahead : o.inUse;
        if (inUse === undefined || (ahead ? o.aheadFull : o.full)) continue;
        const busy = ahead ? o.aheadBusy! : o.busy;
        const ok = whole && !o.w.foreman ? !busy : fitsOn(o.w, allocOn(o.w, task, sized), inUse);
        if (!ok) continue;
        fitting.push(o);
        if (firstOnly) break;
      }
    }
    if (fitting.length === 0) {
      skips++;
      continue;
    }
    const o = firstOnly ? fitting[0] : chooseWorker(alg, task, fitting, ctx);
    const alloc = allocOn(o.w, task, sized);
    out.push({ task, worker: o.w, alloc, ahead });
    const wholeHere = whole && !o.w.foreman;
    const inUse = ahead ? o.ahead! : o.inUse;
    inUse.cores += alloc.cores;
    inUse.memory += alloc.memory;
    inUse.disk += alloc.disk;
    inUse.gpus += alloc.gpus;
    if (ahead) {
      o.aheadBusy = true;
      o.aheadFull ||= isFull(o.w.total, inUse, wholeHere);
    } else {
      o.busy = true;
      o.full ||= isFull(o.w.total, inUse, wholeHere);
    }
    if (o.full && o.aheadFull !== false) open.splice(open.indexOf(o), 1);
  }
  return out;
}
