/**
 * CCTools' statistics log (`specify_log`): a header naming the columns,
 * then one line of numbers per sample, which `work_queue_graph_log` plots.
 * A sample is written when asked (`QueueLogs` asks once a second) and only
 * if a number other than the time changed, so an idle manager's log does
 * not grow; the first and the last sample are always written.
 *
 * @module
 */

import { WORK_QUEUE_RESULT_MAX_RETRIES, WORK_QUEUE_RESULT_SUCCESS } from "../../constants.ts";
import type { Core } from "../core.ts";
import type { QueueEvent } from "../queue_event.ts";
import type { WorkQueueStats } from "../stats.ts";
import { type StatsColumn, statsHeader, statsLine } from "./cctools_format.ts";
import type { LogFile } from "./log_file.ts";

/** Options of {@linkcode StatsLog}. */
export interface StatsLogOptions {
  /** The books (for resources in use, the largest and smallest worker). */
  core: Core;
  /** The queue's counters now (`wq.stats`). */
  stats: () => WorkQueueStats;
  /** The time now, in microseconds since the epoch. */
  nowUs: () => number;
  /** When the manager started, in microseconds since the epoch. */
  startedUs: number;
}

/**
 * Writes a statistics log.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Core } from "../core.ts";
 * import { computeStats } from "../stats.ts";
 * import { LogFile } from "./log_file.ts";
 *
 * const path = await Deno.makeTempFile();
 * const file = new LogFile(path);
 * const core = new Core();
 * const extra = { tasksUnfittable: 0, hostsBlocked: [], liveBytesSent: 0, liveBytesReceived: 0 };
 * const log = new StatsLog(file, {
 *   core,
 *   stats: () => computeStats(core, extra),
 *   nowUs: () => 2_000_000,
 *   startedUs: 1_000_000,
 * });
 * log.sample(); // nothing changed: no line
 * await file.close();
 * const [header, first, more] = (await Deno.readTextFile(path)).split("\n");
 * assert.match(header, /^# timestamp workers_connected /);
 * assert.match(first, /^2000000 0 0 /);
 * assert.equal(more, "");
 * await Deno.remove(path);
 * ```
 */
export class StatsLog {
  readonly #file: LogFile;
  readonly #o: StatsLogOptions;
  #last = "";
  // What the books do not count, from the events since the log was opened.
  #workersReleased = 0;
  #tasksFailed = 0;
  #tasksExhausted = 0;
  #timeExecute = 0;
  #timeExecuteGood = 0;

  /**
   * Writes the header and a first sample.
   *
   * @param file Where the lines go.
   * @param options The books, the counters, the clock and the start time.
   */
  constructor(file: LogFile, options: StatsLogOptions) {
    this.#file = file;
    this.#o = options;
    file.append(statsHeader());
    this.sample(true);
  }

  /**
   * Counts what the books do not: workers released, tasks failed or out of
   * retries, and execution times.
   *
   * @param e Any queue event.
   */
  event(e: QueueEvent): void {
    if (e.type === "worker-left" && e.reason === "released") this.#workersReleased++;
    if (e.type !== "task-done") return;
    const t = e.task;
    const exec = t.executionTime ?? 0;
    this.#timeExecute += exec;
    if (t.result === WORK_QUEUE_RESULT_SUCCESS) this.#timeExecuteGood += exec;
    else this.#tasksFailed++;
    if (t.result === WORK_QUEUE_RESULT_MAX_RETRIES) this.#tasksExhausted++;
  }

  /**
   * Writes a line if a number changed since the last one.
   *
   * @param force Write it anyway.
   */
  sample(force = false): void {
    const line = statsLine(this.#values());
    const rest = line.slice(line.indexOf(" "));
    if (!force && rest === this.#last) return;
    this.#last = rest;
    this.#file.append(line);
  }

  #values(): Record<StatsColumn, number> {
    const s = this.#o.stats();
    const committed = { cores: 0, memory: 0, disk: 0 };
    const max = { cores: 0, memory: 0, disk: 0 };
    let min: { cores: number; memory: number; disk: number } | undefined;
    for (const w of this.#o.core.workers.values()) {
      if (!w.ready) continue;
      committed.cores += w.inUse.cores;
      committed.memory += w.inUse.memory;
      committed.disk += w.inUse.disk;
      max.cores = Math.max(max.cores, w.total.cores);
      max.memory = Math.max(max.memory, w.total.memory);
      max.disk = Math.max(max.disk, w.total.disk);
      min = {
        cores: Math.min(min?.cores ?? Infinity, w.total.cores),
        memory: Math.min(min?.memory ?? Infinity, w.total.memory),
        disk: Math.min(min?.disk ?? Infinity, w.total.disk),
      };
    }
    min ??= { cores: 0, memory: 0, disk: 0 };
    return {
      timestamp: this.#o.nowUs(),
      workers_connected: s.workersConnected,
      workers_init: s.workersInit,
      workers_idle: s.workersIdle,
      workers_busy: s.workersBusy,
      workers_able: s.workersConnected,
      workers_joined: s.workersJoined,
      workers_removed: s.workersRemoved,
      workers_released: this.#workersReleased,
      workers_idled_out: 0,
      workers_blocked: s.hostsBlocked.length,
      workers_fast_aborted: s.workersFastAborted,
      workers_lost: s.workersLost,
      tasks_waiting: s.tasksWaiting,
      tasks_on_workers: s.tasksOnWorkers,
      tasks_running: s.tasksRunning,
      tasks_with_results: s.tasksWithResults,
      tasks_submitted: s.tasksSubmitted,
      tasks_dispatched: s.tasksDispatched,
      tasks_done: s.tasksDone,
      tasks_failed: this.#tasksFailed,
      tasks_cancelled: s.tasksCancelled,
      tasks_exhausted_attempts: this.#tasksExhausted,
      time_when_started: this.#o.startedUs,
      // The manager's own time is not measured by phase: CCTools' time_* of
      // sending, receiving, polling, status and application stay 0.
      time_send: 0,
      time_receive: 0,
      time_send_good: 0,
      time_receive_good: 0,
      time_status_msgs: 0,
      time_internal: 0,
      time_polling: 0,
      time_application: 0,
      time_execute: this.#timeExecute,
      time_execute_good: this.#timeExecuteGood,
      time_execute_exhaustion: 0,
      bytes_sent: s.bytesSent,
      bytes_received: s.bytesReceived,
      bandwidth: 0,
      // Capacity: what the connected workers hold (one-core tasks), not
      // CCTools' estimate from the times of past tasks.
      capacity_tasks: s.totalCores,
      capacity_cores: s.totalCores,
      capacity_memory: s.totalMemory,
      capacity_disk: s.totalDisk,
      capacity_instantaneous: s.totalCores,
      capacity_weighted: s.totalCores,
      manager_load: 0,
      total_cores: s.totalCores,
      total_memory: s.totalMemory,
      total_disk: s.totalDisk,
      committed_cores: committed.cores,
      committed_memory: committed.memory,
      committed_disk: committed.disk,
      max_cores: max.cores,
      max_memory: max.memory,
      max_disk: max.disk,
      min_cores: min.cores,
      min_memory: min.memory,
      min_disk: min.disk,
    };
  }
}
