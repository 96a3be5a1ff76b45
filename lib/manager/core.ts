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
import { release, reserve } from "../resources.ts";
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
  readonly #log: ((msg: string) => void) | undefined;

  /** @param log Receives one debug line per move; without it, nothing is formatted. */
  constructor(log?: (msg: string) => void) {
    this.#log = log;
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
    const room = w.tasks.size === 0 || u.cores < t.cores || u.memory < t.memory ||
      u.disk < t.disk || u.gpus < t.gpus;
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
        reserve(d.worker.inUse, d.alloc);
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
  }

  /** The worker a task is on, if any. */
  workerOf(task: Task): WorkerInfo | undefined {
    return this.dispatches.get(task.id)?.worker;
  }

  #leaveWorker(task: Task): void {
    const d = this.dispatches.get(task.id);
    if (!d) return;
    this.dispatches.delete(task.id);
    release(d.worker.inUse, d.alloc);
    d.worker.tasks.delete(task.id);
    this.noteRoom(d.worker);
  }
}
