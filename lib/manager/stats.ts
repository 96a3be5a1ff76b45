/**
 * The queue's counters as applications see them (`wq.stats`).
 *
 * @module
 */

import type { Core } from "./core.ts";

/** A snapshot of the queue's counters. */
export interface WorkQueueStats {
  /** Workers that finished their handshake. */
  workersConnected: number;
  /** Connections still in their handshake. */
  workersInit: number;
  /** Connected workers with no task. */
  workersIdle: number;
  /** Connected workers with at least one task. */
  workersBusy: number;
  /** Workers that ever joined. */
  workersJoined: number;
  /** Workers that left (any reason). */
  workersRemoved: number;
  /** Workers lost to an error or a timeout. */
  workersLost: number;
  /** Tasks ever submitted. */
  tasksSubmitted: number;
  /** Tasks waiting for a worker. */
  tasksWaiting: number;
  /** Tasks whose inputs are being sent or that run. */
  tasksRunning: number;
  /** Tasks whose results are coming back or are waiting for `wait()`. */
  tasksWithResults: number;
  /** Tasks on workers in any state. */
  tasksOnWorkers: number;
  /** Tasks that completed (whatever their result). */
  tasksDone: number;
  /** Tasks cancelled. */
  tasksCancelled: number;
  /** Tasks put back to ready after losing their worker. */
  tasksRequeued: number;
  /** Dispatches made (a retried task counts again). */
  tasksDispatched: number;
  /** Waiting tasks that no connected worker is large enough to run (see `explain()`). */
  tasksUnfittable: number;
  /** Tasks aborted as stragglers and run again. */
  tasksFastAborted: number;
  /** Workers removed for being the slow one again and again. */
  workersFastAborted: number;
  /** Hosts blocked now. */
  hostsBlocked: string[];
  /** Total cores, memory, disk and gpus of connected workers. */
  totalCores: number;
  totalMemory: number;
  totalDisk: number;
  totalGpus: number;
  /** Bytes sent to and received from workers. */
  bytesSent: number;
  bytesReceived: number;
}

/** What the stats need beyond the books. */
export interface StatsExtra {
  tasksUnfittable: number;
  hostsBlocked: string[];
  /** Bytes written and read on connections still open. */
  liveBytesSent: number;
  liveBytesReceived: number;
}

/**
 * Takes a snapshot of the counters.
 *
 * @param core The books.
 * @param extra Policy state and live byte counts.
 * @returns The snapshot.
 */
export function computeStats(core: Core, extra: StatsExtra): WorkQueueStats {
  const c = core;
  let connected = 0, init = 0, busy = 0, cores = 0, memory = 0, disk = 0, gpus = 0;
  for (const w of c.workers.values()) {
    if (w.pending.size > 0) {
      init++;
      continue;
    }
    connected++;
    if (w.tasks.size > 0) busy++;
    cores += w.total.cores;
    memory += w.total.memory;
    disk += w.total.disk;
    gpus += w.total.gpus;
  }
  const s = c.inState;
  return {
    workersConnected: connected,
    workersInit: init,
    workersIdle: connected - busy,
    workersBusy: busy,
    workersJoined: c.counters.workersJoined,
    workersRemoved: c.counters.workersRemoved,
    workersLost: c.counters.workersLost,
    tasksSubmitted: c.counters.tasksSubmitted,
    tasksWaiting: s.ready,
    tasksRunning: s.sending + s.running - c.queuedAhead,
    tasksWithResults: s.receiving + s.complete,
    tasksOnWorkers: s.sending + s.running + s.receiving,
    tasksDone: c.counters.tasksDone,
    tasksCancelled: c.counters.tasksCancelled,
    tasksRequeued: c.counters.tasksRequeued,
    tasksDispatched: c.counters.tasksDispatched,
    tasksUnfittable: extra.tasksUnfittable,
    tasksFastAborted: c.counters.tasksFastAborted,
    workersFastAborted: c.counters.workersFastAborted,
    hostsBlocked: extra.hostsBlocked,
    totalCores: cores,
    totalMemory: memory,
    totalDisk: disk,
    totalGpus: gpus,
    bytesSent: c.counters.bytesSent + extra.liveBytesSent,
    bytesReceived: c.counters.bytesReceived + extra.liveBytesReceived,
  };
}
