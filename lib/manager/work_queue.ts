/**
 * `WorkQueue`: the manager's public face. It validates and delegates: the
 * reactor (`reactor.ts`, `reactor_tasks.ts`, `reactor_workers.ts`) makes
 * every change, the server (`server.ts`) listens and serves connections,
 * and `ConnComm` (`comm.ts`) carries what the reactor sends. See
 * docs/architecture.md.
 *
 * @module
 */

import type { CompletedTask } from "../completed_task.ts";
import { Task } from "../task.ts";
import { resolveOptions, type WorkQueueOptions } from "./options.ts";
import type { EventsOptions, EventStream } from "./event_stream.ts";
import { hungry, type Reactor } from "./reactor.ts";
import { onCancel } from "./reactor_claims.ts";
import { onSubmit } from "./reactor_tasks.ts";
import { onShutdownWorkers } from "./reactor_workers.ts";
import { buildQueue, closeQueue, type QueueParts, queueStats } from "./queue_parts.ts";
import type { WorkQueueStats } from "./stats.ts";
import { FOREVER, taskOrNull, type WaitOptions, type WaitResult } from "./wait.ts";
import { callValue, FunctionCall } from "../function_call.ts";
import { Libraries, type LibraryInfo, type LibraryOptions } from "./libraries.ts";
import { attachParts, WorkQueueSettings } from "./work_queue_settings.ts";

/**
 * A Work Queue manager. It listens as soon as it is constructed; workers
 * (ours or CCTools' `work_queue_worker`) connect to it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Task, WorkQueue } from "../../mod.ts";
 *
 * await using wq = new WorkQueue({ port: 0 });
 * const t = new Task("echo hello");
 * const id = wq.submit(t);
 * assert.equal(id, t.id);
 * assert.equal(wq.stats.tasksWaiting, 1);
 * assert.notEqual(wq.port, 0); // the port the system chose
 * ```
 */
export class WorkQueue extends WorkQueueSettings
  implements AsyncDisposable, AsyncIterable<CompletedTask> {
  readonly #p: QueueParts;
  readonly #r: Reactor;
  readonly #onClosed: (() => void)[] = [];
  #closed: Promise<void> | undefined;
  readonly #startedAt = Date.now();
  readonly #ssl: boolean;
  readonly #libraries = new Libraries();

  /**
   * @param options Port, name, logging and timeouts.
   * @throws {RangeError} For a bad `port` or `catalogInterval`, or an empty password.
   * @throws {TypeError} If `catalog` is not a `host:port` list.
   * @throws {Deno.errors.AddrInUse} If the port is taken (with the port in the message).
   * @throws {SyntaxError} If the `journal` is another program's, another version's, or corrupt.
   * @throws {Error} If another manager has the `journal` open.
   */
  constructor(options: WorkQueueOptions = {}) {
    super(options.name);
    const o = resolveOptions(options);
    this.#ssl = options.ssl !== undefined;
    this.#p = buildQueue(options, o, {
      facts: () => this.#facts(),
      closed: () => this.#closed !== undefined,
      startedAt: this.#startedAt,
    });
    this.#r = this.#p.r;
    attachParts(this, this.#p);
    if (this.name !== undefined) this.#p.advertiser.start();
    if (options.signal?.aborted) this.close();
    else options.signal?.addEventListener("abort", () => this.close(), { once: true });
  }

  #facts() {
    return {
      name: this.name,
      port: this.port,
      startedAt: this.#startedAt,
      ssl: this.#ssl,
      uplink: this.uplink,
    };
  }

  /** The port the manager listens on. */
  get port(): number {
    return this.#p.server.port;
  }

  /** A snapshot of the queue's counters. */
  get stats(): WorkQueueStats {
    return queueStats(this.#p);
  }

  /**
   * Queues a task.
   *
   * @param task The task; it may be one returned earlier, to run it again.
   * @returns The task's id; with a journal, a new task whose `key` it knows
   * is not queued, and the known task's id is returned.
   * @throws {TypeError} If it is not a `Task` or is already in the queue, or
   * (with a journal) its `data` is not JSON.
   */
  submit(task: Task): number {
    if (!(task instanceof Task)) {
      throw new TypeError(`Cannot submit: expected a Task, got ${typeof task}`);
    }
    if (task instanceof FunctionCall) this.#libraries.bind(task);
    return this.#p.journal?.admit(task) ?? onSubmit(this.#r, task);
  }

  /**
   * Submits a task (unless it is in the queue already) and resolves when it
   * has completed, with its outputs in place. The task then never comes
   * from `wait()`. A cancelled task resolves too (`outcome` "cancelled").
   *
   * A {@linkcode FunctionCall} resolves with the function's value instead
   * (docs/functions.md), and rejects with a `FunctionCallError` if it threw
   * or did not run to its end.
   *
   * @param task The task.
   * @returns The task, completed.
   * @throws {Error} If the queue is closed, or closes before the task completes.
   */
  run<R>(call: FunctionCall<R>): Promise<R>;
  run<D>(task: Task<D>): Promise<CompletedTask<D>>;
  run<D>(task: Task<D>): Promise<unknown> {
    if (!(task instanceof Task)) {
      return Promise.reject(new TypeError(`Cannot run: expected a Task, got ${typeof task}`));
    }
    if (task instanceof FunctionCall) {
      try {
        this.#libraries.bind(task);
      } catch (e) {
        return Promise.reject(e);
      }
    }
    const done = this.#p.journal
      ? this.#p.journal.run(task, (t) => this.#p.delivery.run(t))
      : this.#p.delivery.run(task);
    return task instanceof FunctionCall ? done.then((t) => callValue(t as FunctionCall)) : done;
  }

  /**
   * Installs a library of functions, which {@linkcode FunctionCall}s name:
   * its module and the local files it imports go to each worker once, where
   * one process imports the module and runs the calls (docs/functions.md).
   * Installing a name again replaces the library for later calls.
   *
   * @param options `name`, `module`, `slots` (default 1), `permissions`, `files`.
   * @returns What was installed: its key, its files, its size.
   * @throws {TypeError} For a bad option, or a file that cannot be read.
   * @throws {RangeError} For `slots` out of range.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * await using wq = new WorkQueue({ port: 0 });
   * const dir = await Deno.makeTempDir();
   * await Deno.writeTextFile(`${dir}/sq.ts`, "export const sq = (x: number) => x * x;\n");
   * const lib = wq.installLibrary({ name: "sq", module: `${dir}/sq.ts` });
   * assert.deepEqual(lib.files, ["sq.ts"]);
   * assert.throws(() => wq.installLibrary({ name: "sq", module: `${dir}/sq.ts`, slots: 0 }), RangeError);
   * await Deno.remove(dir, { recursive: true });
   * ```
   */
  installLibrary(options: LibraryOptions): LibraryInfo {
    return this.#libraries.install(options);
  }

  /**
   * Waits for a completed task, whose outputs are already in place.
   *
   * The CCTools form takes seconds (`-1`, `WORK_QUEUE_WAITFORTASK`, waits
   * until one completes) and returns the task, or `null` for a timeout, an
   * empty queue and a closed queue alike. The object form tells these apart.
   *
   * @param timeout Seconds; or `{ timeoutMs, signal }` for a {@linkcode WaitResult}.
   * @returns The task or `null`; a `WaitResult` for the object form.
   */
  wait(timeoutSeconds?: number): Promise<CompletedTask | null>;
  wait(options: WaitOptions): Promise<WaitResult>;
  wait(timeout: number | WaitOptions = -1): Promise<CompletedTask | null | WaitResult> {
    if (typeof timeout === "object" && timeout !== null) return this.#wait(timeout);
    if (typeof timeout !== "number" || Number.isNaN(timeout)) {
      return Promise.reject(
        new TypeError(`Cannot wait: timeout must be a number of seconds, got ${timeout}`),
      );
    }
    // Not an async function: one promise fewer per call, on the path of every task.
    return this.#wait(timeout < 0 ? FOREVER : { timeoutMs: timeout * 1000 }).then(taskOrNull);
  }

  #wait(options: WaitOptions): Promise<WaitResult> {
    if (!this.#p.journal) return this.#p.delivery.wait(options);
    return this.#p.journal.wait(() => this.#p.delivery.wait(options));
  }

  /**
   * With a journal: records that the application is done with a task it
   * was handed (by `wait()` or `run()`), so that it is not delivered again
   * after a restart. `wait()`, `run()`, `empty()` and `close()` acknowledge
   * every task handed before; see docs/journal.md.
   *
   * @param task One task; default every task handed and not yet acknowledged.
   * @returns Whether anything was recorded (always `false` without a journal).
   */
  acknowledge(task?: Task): boolean {
    return this.#p.journal?.acknowledge(task) ?? false;
  }

  /**
   * The queue's events, from now on, as an async iterable: tasks submitted,
   * dispatched, done, retried and cancelled, workers joined and left, and
   * last `queue-closed`. Each call is a stream of its own.
   *
   * @param options An abort signal, and how far a reader may fall behind.
   * @returns The stream; `break` out of `for await` ends it.
   */
  events(options: EventsOptions = {}): EventStream {
    return this.#p.delivery.events(options);
  }

  /** Whether no submitted task remains to be returned by `wait()` (`run()` claims its own). */
  empty(): boolean {
    this.#p.journal?.acknowledge();
    return this.#p.delivery.empty();
  }

  /**
   * Whether the application should submit more tasks: fewer are waiting than
   * the connected workers could start (at least 10).
   */
  hungry(): boolean {
    return hungry(this.#r);
  }

  /**
   * Cancels a task: it is removed from the queue, killed on its worker if it
   * runs, and returned at once (it will not come from `wait()`).
   *
   * @param id The task's id.
   * @returns The cancelled task, or `null` if no such task is in the queue.
   */
  cancelById(id: number): Task | null {
    return onCancel(this.#r, id);
  }

  /**
   * Cancels the first task (in id order) with this tag.
   *
   * @param tag The tag.
   * @returns The cancelled task, or `null`.
   */
  cancelByTag(tag: string): Task | null {
    for (const t of this.#r.core.tasks.values()) if (t.tag === tag) return this.cancelById(t.id);
    return null;
  }

  /**
   * Tells idle workers to exit.
   *
   * @param n How many; `0` means all idle workers.
   * @returns How many were told.
   */
  shutdownWorkers(n: number): number {
    return onShutdownWorkers(this.#r, n);
  }

  /**
   * Stops the manager: workers are released (they go back to looking for a
   * manager, or exit if single-shot), connections and the listener close.
   * Tasks not yet returned are dropped.
   */
  close(): Promise<void> {
    this.#closed ??= this.#shutdown().then(() => {
      for (const resolve of this.#onClosed.splice(0)) resolve();
    });
    return this.#closed;
  }

  /** Resolves when the queue has been closed (by `close()` or its signal). */
  closed(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#closed) this.#closed.then(resolve);
      else this.#onClosed.push(resolve);
    });
  }

  /** Same as {@linkcode close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Yields completed tasks until the queue is empty. */
  [Symbol.asyncIterator](): AsyncIterator<CompletedTask> {
    // Not an async generator: cheaper per task, and nothing to clean up on `break`.
    const next = async (): Promise<IteratorResult<CompletedTask, undefined>> => {
      while (!this.empty()) {
        const t = await this.wait(-1);
        if (t) return { value: t, done: false };
        if (this.#closed) break;
      }
      return { value: undefined, done: true };
    };
    return {
      next,
      [Symbol.asyncIterator]: function () {
        return this;
      },
    } as AsyncIterableIterator<CompletedTask>;
  }

  #shutdown(): Promise<void> {
    return closeQueue(this.#p);
  }
}
