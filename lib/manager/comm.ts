/**
 * The reactor's one way out: {@linkcode Comm}, the narrow interface through
 * which the manager's event handlers send to workers, close them, ask for a
 * scheduling pass, start the staging of inputs, hand completed tasks to
 * `wait()`, emit events and log. {@linkcode ConnComm} is the real one, over
 * the workers' {@linkcode FrameWriter}s, with the tick that coalesces
 * scheduling passes and flushes.
 *
 * @module
 */

import { errorMessage } from "../errors.ts";
import type { Task } from "../task.ts";
import type { FrameWriter } from "../wire/frame_writer.ts";
import type { Logger } from "./options.ts";
import type { QueueEvent } from "./queue_event.ts";
import { type Dispatch, stageInputs, stageInputsSync, type StageResult } from "./staging.ts";
import { queueCleanup, queueTask } from "./transfer.ts";

/** A message to a worker, before it is encoded. */
export type ToWorker =
  /** The inputs the worker lacks (by `dispatch.worker.cached`), then the task block. */
  | { kind: "task"; task: Task; dispatch: Dispatch }
  /** `kill` the task (drops its sandbox) and `unlink` what was not cached. */
  | { kind: "cleanup"; task: Task; dispatch: Dispatch }
  /** A keepalive `check`. */
  | { kind: "check" }
  /** `exit`: the worker should end. */
  | { kind: "exit" }
  /** `release`: the worker goes back to looking for a manager (or exits if single-shot). */
  | { kind: "release" };

/** Everything the reactor does to the outside world. */
export interface Comm {
  /** Queues a message to a worker, sent at the end of the tick; dropped if it is not connected. */
  send(workerId: number, msg: ToWorker): void;
  /** Closes a worker's connection now. */
  closeWorker(workerId: number): void;
  /** Asks for one scheduling pass at the end of the tick (coalesced). */
  askForScheduling(): void;
  /**
   * Stages the inputs of a task just placed (in state `sending`): reads the
   * local files, and reports back with `onInputsStaged(task, dispatch, …)`,
   * possibly before it returns.
   */
  stageInputs(task: Task, dispatch: Dispatch): void;
  /** Hands a completed task to one waiting `wait()`. */
  deliver(task: Task): void;
  /** Emits an event to the application. */
  emit(event: QueueEvent): void;
  /** Logs a line. */
  log: Logger;
}

/** What {@linkcode ConnComm} calls back (events go to its subscribers). */
export interface ConnCommHooks {
  /** Runs a scheduling pass (the reactor's `onSchedulePass`). */
  schedule(): void;
  /** The inputs of a task are staged (the reactor's `onInputsStaged`). */
  staged(task: Task, dispatch: Dispatch, staged: StageResult): void;
  /** A task completed. */
  deliver(task: Task): void;
  /** Where log lines go. */
  log: Logger;
}

/** A worker's connection as {@linkcode ConnComm} sees it. */
export interface WorkerLink {
  writer: FrameWriter;
  /** Closes the socket. */
  close(): void;
}

/**
 * The real {@linkcode Comm}: messages go to the workers' writers, which are
 * flushed once at the end of the tick, after the scheduling pass, so that a
 * `kill` and the next task go out in one write.
 */
export class ConnComm implements Comm {
  readonly #links = new Map<number, WorkerLink>();
  readonly #hooks: ConnCommHooks;
  readonly #listeners = new Set<(e: QueueEvent) => void>();
  #schedulePending = false;
  #tickQueued = false;
  /** Writers with something queued, flushed at the end of the tick. */
  #dirty: FrameWriter[] = [];
  readonly log: Logger;

  /** @param hooks Where scheduling, staged inputs, completed tasks, events and logs go. */
  constructor(hooks: ConnCommHooks) {
    this.#hooks = hooks;
    this.log = hooks.log;
  }

  /**
   * Registers a worker's connection, so that messages reach it.
   *
   * @param workerId The worker's id.
   * @param link Its writer and how to close it.
   */
  attach(workerId: number, link: WorkerLink): void {
    this.#links.set(workerId, link);
  }

  /** Forgets a worker's connection (it closed). */
  detach(workerId: number): void {
    this.#links.delete(workerId);
  }

  send(workerId: number, msg: ToWorker): void {
    const w = this.#links.get(workerId)?.writer;
    if (!w) return;
    switch (msg.kind) {
      case "task":
        return queueTask(w, msg.task, msg.dispatch);
      case "cleanup":
        return queueCleanup(w, msg.task, msg.dispatch);
      default:
        w.send(`${msg.kind}\n`);
    }
  }

  closeWorker(workerId: number): void {
    this.#links.get(workerId)?.close();
  }

  askForScheduling(): void {
    if (this.#schedulePending) return;
    this.#schedulePending = true;
    this.#requestTick();
  }

  stageInputs(task: Task, dispatch: Dispatch): void {
    const staged = stageInputsSync(task, dispatch.worker.cached);
    if (staged) return this.#hooks.staged(task, dispatch, staged);
    stageInputs(task).then(
      (s) => this.#hooks.staged(task, dispatch, s),
      (e) => this.#hooks.staged(task, dispatch, { missing: errorMessage(e) }),
    );
  }

  deliver(task: Task): void {
    this.#hooks.deliver(task);
  }

  emit(event: QueueEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch (e) {
        reportError(e); // the listener's own error, thrown outside the reactor
      }
    }
  }

  /**
   * Calls `listener` with every event, synchronously, until the returned
   * function is called.
   *
   * @param listener Receives the events.
   * @returns The unsubscribe.
   */
  subscribe(listener: (e: QueueEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * The `defer` option of every {@linkcode FrameWriter} of the manager: the
   * writer is flushed at the end of the tick.
   */
  readonly defer = (w: FrameWriter): void => {
    this.#dirty.push(w);
    this.#requestTick();
  };

  #requestTick(): void {
    if (this.#tickQueued) return;
    this.#tickQueued = true;
    queueMicrotask(this.#tick);
  }

  /** The end of a tick: one scheduling pass, then one flush of every writer with something queued. */
  readonly #tick = (): void => {
    this.#tickQueued = false;
    if (this.#schedulePending) {
      this.#schedulePending = false;
      this.#hooks.schedule();
    }
    const dirty = this.#dirty;
    if (dirty.length === 0) return;
    this.#dirty = [];
    for (const w of dirty) w.flush();
  };
}
