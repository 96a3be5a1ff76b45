/**
 * The scheduling algorithms: each picks one worker among those where a task
 * fits. They are pure and synchronous; `scheduler.ts` calls them.
 *
 * @module
 */

import {
  WORK_QUEUE_SCHEDULE_FILES,
  WORK_QUEUE_SCHEDULE_PREFERRED_HOSTS,
  WORK_QUEUE_SCHEDULE_RAND,
  WORK_QUEUE_SCHEDULE_TIME,
  WORK_QUEUE_SCHEDULE_WORST,
} from "../constants.ts";
import type { Task } from "../task.ts";
import type { Resources } from "../resources.ts";
import type { WorkerInfo } from "./worker_info.ts";

/** A worker with room, and what this pass has tentatively placed on it. */
export interface Candidate {
  w: WorkerInfo;
  inUse: Resources;
  busy: boolean;
  /** No more tasks fit in its free slots in this pass. */
  full: boolean;
  /** A fast-path worker's tasks queued ahead, as `inUse`, `busy` and `full` for them. */
  ahead?: Resources;
  aheadBusy?: boolean;
  aheadFull?: boolean;
}

/** What the algorithms may look at besides the candidates. */
export interface ChooserContext {
  random: () => number;
  localityKeys: (task: Task) => readonly string[];
}

type Chooser = (task: Task, fitting: Candidate[], ctx: ChooserContext) => Candidate;

function first(_task: Task, fitting: Candidate[]): Candidate {
  return fitting[0];
}

/** Most bytes of the task's cacheable inputs already on the worker; ties and none: first. */
function files(task: Task, fitting: Candidate[], ctx: ChooserContext): Candidate {
  const keys = ctx.localityKeys(task);
  let best = fitting[0];
  let bestBytes = 0;
  for (const c of fitting) {
    let bytes = 0;
    for (const k of keys) bytes += c.w.cachedKeys.get(k) ?? 0;
    if (bytes > bestBytes) [best, bestBytes] = [c, bytes];
  }
  return best;
}

/** Fastest average turnaround among workers with history; without any: first. */
function time(_task: Task, fitting: Candidate[]): Candidate {
  let best: Candidate | undefined;
  for (const c of fitting) {
    const avg = c.w.averageTurnaround;
    if (avg !== undefined && (best === undefined || avg < best.w.averageTurnaround!)) best = c;
  }
  return best ?? fitting[0];
}

function rand(_task: Task, fitting: Candidate[], ctx: ChooserContext): Candidate {
  return fitting[Math.min(fitting.length - 1, Math.floor(ctx.random() * fitting.length))];
}

/** Most unused resources: free cores first, then memory, then disk. */
function worst(_task: Task, fitting: Candidate[]): Candidate {
  const free = (c: Candidate) => [
    c.w.total.cores - c.inUse.cores,
    c.w.total.memory - c.inUse.memory,
    c.w.total.disk - c.inUse.disk,
  ];
  let best = fitting[0];
  let bestFree = free(best);
  for (const c of fitting.slice(1)) {
    const f = free(c);
    const i = f.findIndex((v, k) => v !== bestFree[k]);
    if (i >= 0 && f[i] > bestFree[i]) [best, bestFree] = [c, f];
  }
  return best;
}

/** A worker whose host name or IP is one of the task's preferred hosts; else first. */
function preferred(task: Task, fitting: Candidate[]): Candidate {
  if (task.preferredHosts.length === 0) return fitting[0];
  const wanted = new Set(task.preferredHosts);
  return fitting.find((c) => wanted.has(c.w.hostname) || wanted.has(c.w.ip)) ?? fitting[0];
}

const CHOOSERS: Record<number, Chooser> = {
  [WORK_QUEUE_SCHEDULE_FILES]: files,
  [WORK_QUEUE_SCHEDULE_TIME]: time,
  [WORK_QUEUE_SCHEDULE_RAND]: rand,
  [WORK_QUEUE_SCHEDULE_WORST]: worst,
  [WORK_QUEUE_SCHEDULE_PREFERRED_HOSTS]: preferred,
};

/**
 * Picks a worker for a task by an algorithm (`WORK_QUEUE_SCHEDULE_*`);
 * FCFS and unknown values take the first candidate.
 *
 * @param algorithm The algorithm.
 * @param task The task.
 * @param fitting Workers where it fits, in connection order (not empty).
 * @param ctx Randomness and locality.
 * @returns The chosen candidate.
 */
export function chooseWorker(
  algorithm: number,
  task: Task,
  fitting: Candidate[],
  ctx: ChooserContext,
): Candidate {
  return (CHOOSERS[algorithm] ?? first)(task, fitting, ctx);
}

/** Whether a number names a scheduling algorithm this manager knows. */
export function isKnownAlgorithm(algorithm: number): boolean {
  return algorithm >= 1 && algorithm <= WORK_QUEUE_SCHEDULE_PREFERRED_HOSTS &&
    Number.isInteger(algorithm);
}
