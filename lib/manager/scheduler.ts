/**
 * The scheduler: given the ready tasks and the workers, decide which task
 * goes where. It is pure and synchronous: it reads the books and returns
 * assignments; the manager carries them out.
 *
 * @module
 */

import type { Task } from "../task.ts";
import { allocationFor, fits, type Resources } from "./resources.ts";
import type { WorkerInfo } from "./worker_info.ts";

/** One decision: run `task` on `worker` with `alloc`. */
export interface Assignment {
  task: Task;
  worker: WorkerInfo;
  alloc: Resources;
}

/** Bounds on one scheduling pass. */
export interface ScheduleLimits {
  /** How many ready tasks that fit nowhere may be passed over before the pass stops. */
  maxSkips: number;
}

function isWhole(task: Task): boolean {
  const r = task.resources;
  return r.cores === undefined && r.memory === undefined && r.disk === undefined &&
    r.gpus === undefined;
}

/**
 * First come, first served: each ready task, in order, goes to the first
 * worker (in connection order) where it fits. The pass ends when no worker
 * has room, so its cost follows the number of free slots, not the queue.
 *
 * @param ready Ready tasks in dispatch order.
 * @param workers Connected workers.
 * @param limits Bounds on the pass.
 * @returns The assignments, in order.
 */
export function schedule(
  ready: Iterable<Task>,
  workers: Iterable<WorkerInfo>,
  limits: ScheduleLimits = { maxSkips: 1000 },
): Assignment[] {
  // Tentative books for this pass, per worker with any room.
  const open: { w: WorkerInfo; inUse: Resources; busy: boolean }[] = [];
  for (const w of workers) {
    if (!w.ready) continue;
    const busy = w.tasks.size > 0;
    const t = w.total;
    const u = w.inUse;
    const room = !busy ||
      (u.cores < t.cores || u.memory < t.memory || u.disk < t.disk || u.gpus < t.gpus);
    if (room) open.push({ w, inUse: { ...u }, busy });
  }
  const out: Assignment[] = [];
  let skips = 0;
  for (const task of ready) {
    if (open.length === 0 || skips > limits.maxSkips) break;
    const whole = isWhole(task);
    let placed = -1;
    for (let i = 0; i < open.length; i++) {
      const o = open[i];
      if (whole && o.busy) continue;
      const alloc = allocationFor(task.resources, o.w.total);
      if (!whole && !fits(alloc, o.inUse, o.w.total)) continue;
      out.push({ task, worker: o.w, alloc });
      o.busy = true;
      o.inUse.cores += alloc.cores;
      o.inUse.memory += alloc.memory;
      o.inUse.disk += alloc.disk;
      o.inUse.gpus += alloc.gpus;
      placed = i;
      break;
    }
    if (placed < 0) {
      skips++;
      continue;
    }
    const o = open[placed];
    const t = o.w.total;
    const coresFull = t.cores > 0 && o.inUse.cores >= t.cores && t.gpus <= o.inUse.gpus;
    if (whole || coresFull) {
      open.splice(placed, 1);
    }
  }
  return out;
}
