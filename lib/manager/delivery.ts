/**
 * How completed tasks and events reach the application: `wait()` (both
 * forms), `run()` and `events()`. The reactor hands each completed task to
 * {@linkcode Delivery.deliver}, which gives it to the `run()` that claimed
 * it or wakes one `wait()`.
 *
 * @module
 */

import type { CompletedTask } from "../completed_task.ts";
import type { Task } from "../task.ts";
import { type EventsOptions, EventStream } from "./event_stream.ts";
import type { QueueEvent } from "./queue_event.ts";
import type { Reactor } from "./reactor.ts";
import { onClaim, takeCompleted } from "./reactor_claims.ts";
import { onSubmit } from "./reactor_tasks.ts";
import { waitForTask, type WaitOptions, type WaitResult } from "./wait.ts";
import { Waiters } from "./waiters.ts";

/** What {@linkcode Delivery} needs of the queue around it. */
export interface DeliveryHooks {
  /** Starts calling `listener` with every event; returns the unsubscribe. */
  subscribe(listener: (e: QueueEvent) => void): () => void;
  /** Whether the queue is closed (or closing). */
  closed(): boolean;
}

/** The queue's side of `wait()`, `run()` and `events()`. */
export class Delivery {
  readonly #r: Reactor;
  readonly #hooks: DeliveryHooks;
  readonly #waiters = new Waiters();
  /** The callers of `run()`, by task. */
  readonly #runs = new Map<Task, { resolve(t: Task): void; reject(e: Error): void }>();

  /**
   * @param r The reactor (its `claimed` set and completed list).
   * @param hooks Events and the queue's closed state.
   */
  constructor(r: Reactor, hooks: DeliveryHooks) {
    this.#r = r;
    this.#hooks = hooks;
  }

  /** A task completed or was cancelled: to the `run()` that claimed it, else to one `wait()`. */
  readonly deliver = (task: Task): void => {
    const run = this.#runs.get(task);
    if (!run) return this.#waiters.wakeOne();
    this.#runs.delete(task);
    run.resolve(task);
  };

  /**
   * Submits `task` unless it is in the queue, and resolves when it completes.
   *
   * @param task The task.
   * @returns The task, completed (or cancelled).
   */
  run<D>(task: Task<D>): Promise<CompletedTask<D>> {
    if (this.#hooks.closed()) {
      return Promise.reject(new Error(`Cannot run task: the queue is closed`));
    }
    if (this.#runs.has(task)) {
      return Promise.reject(
        new TypeError(`Cannot run task ${task.id}: run() waits for it already`),
      );
    }
    const s = task.state;
    if (s === undefined || s === "returned" || s === "cancelled") onSubmit(this.#r, task);
    return new Promise<CompletedTask<D>>((resolve, reject) => {
      const done = (t: Task) => resolve(t as CompletedTask<D>);
      if (onClaim(this.#r, task)) done(task);
      else this.#runs.set(task, { resolve: done, reject });
    });
  }

  /**
   * Waits for a completed task that no `run()` claimed.
   *
   * @param options Timeout (ms) and signal.
   * @returns What it found.
   */
  wait(options: WaitOptions): Promise<WaitResult> {
    return waitForTask(this.#source, options);
  }

  /** What `wait()` reads, made once: a `wait()` per task allocates no more of it. */
  readonly #source = {
    take: () => takeCompleted(this.#r),
    empty: () => this.empty(),
    closed: () => this.#hooks.closed(),
    waiters: this.#waiters,
  };

  /** Whether no task in the queue is left for `wait()` (those `run()` claimed are not). */
  empty(): boolean {
    return this.#r.core.tasks.size === this.#r.claimed.size;
  }

  /**
   * A stream of the queue's events from now on.
   *
   * @param options Signal and buffer bound.
   * @returns The stream (already ended if the queue is closed).
   */
  events(options: EventsOptions): EventStream {
    if (this.#hooks.closed()) {
      return new EventStream(() => () => {}, { ...options, signal: AbortSignal.abort() });
    }
    return new EventStream(this.#hooks.subscribe, options);
  }

  /** The queue closed: every `wait()` returns, every pending `run()` rejects. */
  close(): void {
    this.#waiters.wakeAll();
    for (const [task, run] of this.#runs) {
      run.reject(new Error(`Cannot run task ${task.id}: the queue closed before it completed`));
    }
    this.#runs.clear();
  }
}
