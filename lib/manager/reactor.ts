/**
 * The manager's reactor: its state ({@linkcode Reactor}) and the handlers of
 * every event, in two files by concern. Each handler makes every change an
 * event brings (task state through `Core.transition()`, the task's result
 * fields, counters, retries, fit tracking, fast-abort statistics, per-worker
 * statistics) and reaches the outside only through its {@linkcode Comm}: it
 * never awaits and never touches a socket, so tests drive it with a
 * recording `Comm` and a `ManualClock`.
 *
 * - `reactor_tasks.ts`: `onSubmit`, `onSchedulePass`, `onInputsStaged`,
 *   `onResultArriving`, `onResult`, `onCancel`, `onClaim`, `takeCompleted`;
 * - `reactor_workers.ts`: `onWorkerConnected`, `onWorkerUpdate`,
 *   `onWorkerGone`, `onSweepTick`, `onShutdownWorkers`, `onClose`.
 *
 * @module
 */

import { type Clock, realClock } from "../clock.ts";
import { WORK_QUEUE_SCHEDULE_FCFS } from "../constants.ts";
import type { Task } from "../task.ts";
import type { Comm } from "./comm.ts";
import { Core } from "./core.ts";
import { Categories } from "./categories/categories.ts";
import { FastAbort } from "./fast_abort.ts";
import { FitTracker } from "./fit.ts";
import { HostBlocks } from "./host_blocks.ts";
import type { QueueEventWorker } from "./queue_event.ts";
import type { SweepLimits } from "./sweep.ts";
import { localityKey } from "./staging.ts";
import type { WorkerInfo } from "./worker_info.ts";

export type { Comm };

/** Options of {@linkcode Reactor}. */
export interface ReactorOptions {
  /** Tells the time of the task records, keepalive, fast abort and host blocks. Default: real. */
  clock?: Clock;
  /** Log every task move (through `comm.log`). Default `false`. */
  debug?: boolean;
  /** The keepalive limits (ms). Default 30 s each. */
  keepalive?: SweepLimits;
  /** Bytes of stdout kept per task, for the failure message of a cut one. Default 1 GiB. */
  maxStdout?: number;
  /** Measurements a category needs before it sizes its tasks. Default 25. */
  categorySteadyTasks?: number;
}

/**
 * The manager's state: the books ({@linkcode Core}), the policies (fast
 * abort, blocked hosts, fit tracking, the algorithm) and the way out
 * ({@linkcode Comm}). The handlers of `reactor_tasks.ts` and
 * `reactor_workers.ts` take it as their first argument.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ManualClock } from "../clock.ts";
 * import { Task } from "../task.ts";
 * import { RecordingComm } from "./_recording_comm.ts";
 * import { onSubmit } from "./reactor_tasks.ts";
 *
 * const comm = new RecordingComm();
 * const r = new Reactor(comm, { clock: new ManualClock(5000) });
 * const t = new Task("echo hi");
 * assert.equal(onSubmit(r, t), 1);
 * assert.equal(t.state, "ready");
 * assert.equal(t.submitTime, 5000);
 * assert.deepEqual(comm.events.map((e) => e.type), ["task-submitted"]);
 * ```
 */
export class Reactor {
  /** Tasks and workers. */
  readonly core: Core;
  /** The way out. */
  readonly comm: Comm;
  /** The time. */
  readonly clock: Clock;
  /** The fast-abort average and multiplier. */
  readonly fastAbort: FastAbort = new FastAbort();
  /** Blocked hosts. */
  readonly blocks: HostBlocks;
  /** Waiting tasks that no worker is large enough to run. */
  readonly fit: FitTracker;
  /** The keepalive limits (ms). */
  readonly keepalive: SweepLimits;
  /** Bytes of stdout kept per task. */
  readonly maxStdout: number;
  /** The task categories' sizing: modes, limits, what was measured. */
  readonly categories: Categories = new Categories();
  /** The queue's scheduling algorithm, for tasks that set none. */
  algorithm: number = WORK_QUEUE_SCHEDULE_FCFS;
  /** The id the next submitted task gets. */
  nextTaskId = 1;
  /** Whether the queue closed: no more scheduling. */
  closed = false;
  /** The slots of the ready workers, for `hungry()`; -1 when it must be recounted. */
  slots = -1;
  /**
   * Tasks that `run()` waits for: when one completes or is cancelled it is
   * delivered to its caller at once, never to `wait()`.
   */
  readonly claimed: Set<Task> = new Set();
  readonly #localityKeys = new WeakMap<Task, string[]>();

  /**
   * @param comm The way out.
   * @param options Clock, debug logging, keepalive limits, stdout limit.
   */
  constructor(comm: Comm, options: ReactorOptions = {}) {
    this.comm = comm;
    this.clock = options.clock ?? realClock;
    this.core = new Core(options.debug ? (m) => comm.log("debug", m) : undefined, {
      now: () => this.clock.now(),
    });
    this.blocks = new HostBlocks(this.clock);
    const core = this.core;
    this.fit = new FitTracker((m) => comm.log("warn", m), {
      workers: () => core.workers.values(),
      ready: () => core.ready,
      sized: (t) => this.categories.sized(t),
    });
    this.keepalive = options.keepalive ?? { intervalMs: 30_000, timeoutMs: 30_000 };
    this.maxStdout = options.maxStdout ?? 1 << 30;
    if (options.categorySteadyTasks) this.categories.steadyAfter = options.categorySteadyTasks;
  }

  /** The locality keys of a task's cacheable inputs (computed once per task), for FILES scheduling. */
  readonly localityKeys = (task: Task): string[] => {
    let keys = this.#localityKeys.get(task);
    if (!keys) {
      keys = task.inputs.map(localityKey).filter((k) => k !== undefined);
      this.#localityKeys.set(task, keys);
    }
    return keys;
  };

  /** Whether a worker's host is blocked now (for the scheduler). */
  readonly isBlocked = (w: WorkerInfo): boolean => this.blocks.isBlocked(w);
}

/**
 * Whether the application should submit more tasks: fewer wait than twice
 * the slots (cores) of the ready workers, and at least 10. A fast-path
 * worker's slots count twice: it also takes one task queued ahead per slot.
 *
 * @param r The reactor.
 * @returns `true` if it should.
 */
export function hungry(r: Reactor): boolean {
  if (r.slots < 0) {
    let slots = 0;
    for (const w of r.core.workers.values()) {
      if (w.runsTasks) slots += Math.max(1, w.total.cores) * (w.fastPath > 0 ? 2 : 1);
    }
    r.slots = slots;
  }
  return r.core.inState.ready < Math.max(10, 2 * r.slots);
}

/**
 * A worker as events name it.
 *
 * @param w The worker.
 * @returns A snapshot of its address, name and totals.
 */
export function eventWorker(w: WorkerInfo): QueueEventWorker {
  const t = w.total;
  return {
    id: w.id,
    host: w.addr,
    hostname: w.hostname,
    cores: t.cores,
    memory: t.memory,
    disk: t.disk,
    gpus: t.gpus,
  };
}
