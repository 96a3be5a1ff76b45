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
import { allocationFor, fits, type Resources } from "../resources.ts";
import type { WorkerInfo } from "./worker_info.ts";

/** One decision: run `task` on `worker` with `alloc`. */
export interface Assignment {
  task: Task;
  worker: WorkerInfo;
  alloc: Resources;
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
}

/** Whether a task asks for no resource, and so takes a whole worker. */
export function isWholeWorkerTask(task: Task): boolean {
  const r = task.resources;
  return r.cores === undefined && r.memory === undefined && r.disk === undefined &&
    r.gpus === undefined;
}

/**
 * Places ready tasks, in order, each on a worker where it fits, chosen by
 * its algorithm. The pass ends when no worker has room, so its cost follows
 * the number of free slots (and the bounded skips), not the queue's length.
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
  for (const w of workers) {
    if (!w.ready || options.isBlocked?.(w)) continue;
    const busy = w.tasks.size > 0;
    const t = w.total;
    const u = w.inUse;
    const room = !busy || u.cores < t.cores || u.memory < t.memory || u.disk < t.disk ||
      u.gpus < t.gpus;
    if (room) open.push({ w, inUse: { ...u }, busy });
  }
  if (open.length === 0) return [];
  // Connection order, whatever order the caller's index keeps.
  if (open.length > 1) open.sort((a, b) => a.w.id - b.w.id);
  const out: Assignment[] = [];
  let skips = 0;
  const fitting: Candidate[] = [];
  for (const task of ready) {
    if (open.length === 0 || skips > maxSkips) break;
    const whole = isWholeWorkerTask(task);
    const avoid = task[kInternal].avoid;
    const alg = task.algorithm === WORK_QUEUE_SCHEDULE_UNSET ? queueAlg : task.algorithm;
    // FCFS needs only the first fit; the others compare every fit.
    const firstOnly = alg === WORK_QUEUE_SCHEDULE_FCFS;
    fitting.length = 0;
    let firstAlloc: Resources | undefined; // FCFS: the allocation the fit was checked with
    for (const o of open) {
      if (avoid?.has(o.w.id)) continue;
      if (whole) {
        if (o.busy) continue;
      } else {
        firstAlloc = allocationFor(task.resources, o.w.total);
        if (!fits(firstAlloc, { total: o.w.total, inUse: o.inUse })) continue;
      }
      fitting.push(o);
      if (firstOnly) break;
    }
    if (fitting.length === 0) {
      skips++;
      continue;
    }
    const o = firstOnly ? fitting[0] : chooseWorker(alg, task, fitting, ctx);
    const alloc = firstOnly && firstAlloc ? firstAlloc : allocationFor(task.resources, o.w.total);
    out.push({ task, worker: o.w, alloc });
    o.busy = true;
    o.inUse.cores += alloc.cores;
    o.inUse.memory += alloc.memory;
    o.inUse.disk += alloc.disk;
    o.inUse.gpus += alloc.gpus;
    const t = o.w.total;
    const coresFull = t.cores > 0 && o.inUse.cores >= t.cores && t.gpus <= o.inUse.gpus;
    if (whole || coresFull) open.splice(open.indexOf(o), 1);
  }
  return out;
}
