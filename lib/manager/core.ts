/**
 * The manager's books: every task it holds by id and state, the ready
 * queue, the completed queue and the workers. `transition()` is the one
 * place where a task changes state; it checks the move, keeps the indexes
 * and counters right, and logs it.
 *
 * @module
 */

import { kInternal, type Task, type TaskState } from "../task.ts";
import { CategoryBook } from "./category_book.ts";
import { ReadyQueue } from "./ready_queue.ts";
import { TaskList } from "./task_list.ts";
import { fits, release, reserve } from "../resources.ts";
import { isLegalTransition, ON_WORKER, zeroPerState } from "./task_state.ts";
import type { Dispatch } from "./staging.ts";
import type { WorkerInfo } from "./worker_info.ts";

/** Cumulative counters. */
export interface Counters {
  tasksSubmitted: number;
  tasksDispatched: number;
  tasksDone: number;
  tasksCancelled: number;
  tasksRequeued: number;
  tasksFastAborted: number;
  workersFastAborted: number;
  workersJoined: number;
  workersRemoved: number;
  workersLost: number;
  bytesSent: number;
  bytesReceived: number;
}

/** Extra facts a move needs. */
export interface TransitionDetail {
  /** For `sending`: where it goes and with what. */
  dispatch?: Dispatch;
  /** Why (logged). */
  reason?: string;
}

/** The manager's state, without any I/O. */
export class Core {
  /** Tasks submitted and not yet returned or cancelled. */
  readonly tasks = new Map<number, Task>();
  readonly ready = new ReadyQueue();
  /** Completed tasks waiting for `wait()`, in completion order. */
  readonly complete = new TaskList();
  readonly workers = new Map<number, WorkerInfo>();
  /**
   * Workers that may have room for another task: idle, or with some
   * resource not fully in use. A scheduling pass looks only at these, so
   * its cost does not grow with the number of busy workers. (Whether a
   * worker is ready or blocked is checked by the pass.)
   */
  readonly open = new Set<WorkerInfo>();
  /** The dispatch of every task on a worker. */
  readonly dispatches = new Map<number, Dispatch>();
  /** How many tasks are in each state right now. */
  readonly inState: Record<TaskState, number> = zeroPerState();
  /** The same, and cumulative counts, per task category. */
  readonly categories: CategoryBook = new CategoryBook();
  readonly counters: Counters = {
    tasksSubmitted: 0,
    tasksDispatched: 0,
    tasksDone: 0,
    tasksCancelled: 0,
    tasksRequeued: 0,
    tasksFastAborted: 0,
    workersFastAborted: 0,
    workersJoined: 0,
    workersRemoved: 0,
    workersLost: 0,
    bytesSent: 0,
    bytesReceived: 0,
  };
  /** How many tasks are queued ahead on fast-path workers (not yet holding a slot). */
  queuedAhead = 0;
  readonly #log: ((msg: string) => void) | undefined;
  /**
   * Told of every move after it is made (the transactions log,
   * `logs/queue_logs.ts`); it must not throw, await or do I/O.
   */
  onMove: ((task: Task, from: TaskState | undefined, to: TaskState) => void) | undefined;
  readonly #now: () => number;

  /**
   * @param log Receives one debug line per move; without it, nothing is formatted.
   * @param options `now`: the time (ms) a task queued ahead takes a slot. Default `Date.now`.
   */
  constructor(log?: (msg: string) => void, options: { now?: () => number } = {}) {
    this.#log = log;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Puts a worker in (or takes it out of) {@linkcode Core.open} after its
   * tasks or totals changed.
   *
   * @param w The worker.
   */
  noteRoom(w: WorkerInfo): void {
    const t = w.total;
    const u = w.inUse;
    const a = w.ahead;
    const room = w.tasks.size === 0 || u.cores < t.cores || u.memory < t.memory ||
      u.disk < t.disk || u.gpus < t.gpus ||
      (w.fastPath > 0 && (w.aheadCount === 0 || a.cores < t.cores || a.memory < t.memory ||
        a.disk < t.disk || a.gpus < t.gpus));
    if (room && !w.removed) this.open.add(w);
    else this.open.delete(w);
  }

  /**
   * Forgets a worker that left (the caller then moves its tasks off it).
   *
   * @param w The worker.
   * @returns Whether it was known.
   */
  removeWorker(w: WorkerInfo): boolean {
    w.removed = true;
    this.open.delete(w);
    return this.workers.delete(w.id);
  }

  /**
   * Moves a task to a new state.
   *
   * @param task The task.
   * @param to The new state.
   * @param detail The dispatch (for `sending`) and a reason for the log.
   * @throws {Error} If the move is not legal: that is a bug in the manager.
   */
  transition(task: Task, to: TaskState, detail?: TransitionDetail): void {
    const internal = task[kInternal];
    const from = internal.state;
    if (!isLegalTransition(from, to)) {
      throw new Error(
        `Cannot move task ${task.id} from '${from ?? "new"}' to '${to}': not a legal move`,
      );
    }
    if (from) this.inState[from]--;
    this.inState[to]++;
    internal.state = to;
    this.categories.note(task, from, to);

    if (from === "ready") this.ready.delete(task);
    if (from === "complete") this.complete.delete(task);
    if (from && ON_WORKER.has(from) && !ON_WORKER.has(to)) this.#leaveWorker(task);

    switch (to) {
      case "ready":
        if (from === undefined || from === "returned" || from === "cancelled") {
          this.tasks.set(task.id, task);
          this.counters.tasksSubmitted++;
        } else {
          this.counters.tasksRequeued++;
        }
        this.ready.add(task);
        break;
      case "sending": {
        const d = detail?.dispatch;
        if (!d) throw new Error(`Cannot send task ${task.id}: no dispatch given`);
        this.dispatches.set(task.id, d);
        d.worker.tasks.set(task.id, task);
        if (d.ahead) {
          reserve(d.worker.ahead, d.alloc);
          d.worker.aheadCount++;
          this.queuedAhead++;
        } else {
          reserve(d.worker.inUse, d.alloc);
        }
        this.noteRoom(d.worker);
        this.counters.tasksDispatched++;
        break;
      }
      case "complete":
        this.complete.push(task);
        this.counters.tasksDone++;
        break;
      case "returned":
        this.tasks.delete(task.id);
        break;
      case "cancelled":
        this.tasks.delete(task.id);
        this.counters.tasksCancelled++;
        break;
    }
    if (this.#log) {
      const why = detail?.reason ??
        (detail?.dispatch ? `to ${detail.dispatch.worker.label}` : undefined);
      this.#log(`task ${task.id} ${from ?? "new"} -> ${to}${why ? `: ${why}` : ""}`);
    }
    this.onMove?.(task, from, to);
  }

  /**
   * When a task on a worker started, as far as the manager knows: its
   * dispatch, or when it took a slot if it was queued ahead.
   *
   * @param task The task.
   * @returns The time (ms), or `undefined` if it is not running (queued ahead, or not on a worker).
   */
  startOf(task: Task): number | undefined {
    const d = this.dispatches.get(task.id);
    const sent = task.dispatchTime;
    if (!d || d.ahead || sent === undefined) return undefined;
    return Math.max(sent, d.promotedAt ?? 0);
  }

  /** The worker a task is on, if any. */
  workerOf(task: Task): WorkerInfo | undefined {
    return this.dispatches.get(task.id)?.worker;
  }

  #leaveWorker(task: Task): void {
    const d = this.dispatches.get(task.id);
    if (!d) return;
    this.dispatches.delete(task.id);
    const w = d.worker;
    const alloc = d.alloc;
    w.tasks.delete(task.id);
    if (d.ahead) {
      release(w.ahead, alloc);
      w.aheadCount--;
      this.queuedAhead--;
    } else {
      release(w.inUse, alloc);
      if (w.aheadCount > 0) this.#promote(w);
    }
    this.noteRoom(w);
  }

  /**
   * A slot freed on a worker with tasks queued ahead: those that now fit take
   * it, in the order they were sent, as the worker starts them.
   */
  #promote(w: WorkerInfo): void {
    const now = this.#now();
    for (const id of w.tasks.keys()) {
      const d = this.dispatches.get(id);
      if (!d?.ahead) continue;
      const running = w.tasks.size - w.aheadCount;
      const whole = d.alloc.cores === w.total.cores && d.alloc.memory === w.total.memory &&
        d.alloc.disk === w.total.disk && d.alloc.gpus === w.total.gpus;
      if (whole ? running > 0 : !fits(d.alloc, { total: w.total, inUse: w.inUse })) continue;
      release(w.ahead, d.alloc);
      reserve(w.inUse, d.alloc);
      w.aheadCount--;
      this.queuedAhead--;
      d.ahead = false;
      d.promotedAt = now;
      if (w.aheadCount === 0) return;
    }
  }
}
