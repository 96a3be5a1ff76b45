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
import { readPasswordFile } from "../wire/secure_client.ts";
import { passwordBytes } from "./access.ts";
import { resolveOptions, type WorkQueueOptions } from "./options.ts";
import type { EventsOptions, EventStream } from "./event_stream.ts";
import { hungry, type Reactor } from "./reactor.ts";
import { onCancel } from "./reactor_claims.ts";
import { onSubmit } from "./reactor_tasks.ts";
import { onShutdownWorkers } from "./reactor_workers.ts";
import {
  blockHostIn,
  checkProjectName,
  checkUplink,
  explainIn,
  setAlgorithm,
  setFastAbort,
} from "./queue_settings.ts";
import { buildQueue, closeQueue, type QueueParts, queueStats } from "./queue_parts.ts";
import type { WorkQueueStats } from "./stats.ts";
import {
  type CategoryResources,
  type CategoryStats,
  categoryStatsIn,
  setCategoryMode,
  setCategoryResources,
} from "./queue_categories.ts";
import { FOREVER, taskOrNull, type WaitOptions, type WaitResult } from "./wait.ts";
import { callValue, FunctionCall } from "../function_call.ts";
import { Libraries, type LibraryInfo, type LibraryOptions } from "./libraries.ts";

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
export class WorkQueue implements AsyncDisposable, AsyncIterable<CompletedTask> {
  #name: string | undefined;
  #uplink: string | undefined;
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
    const o = resolveOptions(options);
    this.#name = options.name;
    this.#ssl = options.ssl !== undefined;
    this.#p = buildQueue(options, o, {
      facts: () => this.#facts(),
      closed: () => this.#closed !== undefined,
      startedAt: this.#startedAt,
    });
    this.#r = this.#p.r;
    if (this.#name !== undefined) this.#p.advertiser.start();
    if (options.signal?.aborted) this.close();
    else options.signal?.addEventListener("abort", () => this.close(), { once: true });
  }

  /** The project name, if the manager has one. */
  get name(): string | undefined {
    return this.#name;
  }

  /**
   * Names the project and starts advertising it to the catalogs.
   *
   * @param name The project name; workers find it with `-M NAME`.
   */
  specifyName(name: string): void {
    checkProjectName(name);
    this.#name = name;
    if (this.#p.advertiser.running) this.#p.advertiser.refresh();
    else this.#p.advertiser.start();
  }

  /**
   * Sets the catalog to advertise to (replacing CATALOG_HOST/CATALOG_PORT and
   * the `catalog` option).
   *
   * @param host The catalog's host, or a `host:port[,host:port]` list.
   * @param port Its port (default 9097).
   * @throws {TypeError} If the address is not a `host:port` list.
   */
  specifyCatalogServer(host: string, port?: number): void {
    this.#p.advertiser.setCatalog(port === undefined ? host : `${host}:${port}`);
    this.#p.advertiser.refresh();
  }

  /**
   * For a foreman built on this queue: the manager it serves, `IP:PORT` (the
   * remote address of its connection there), or `null` once it is gone. A
   * named queue advertises it as `my_manager` (sending an update now), as
   * CCTools' foreman does, so that `wq-status` and `work_queue_status` list
   * it under that manager; `queue_status` answers carry it too.
   *
   * @param address `IP:PORT`, or `null`.
   * @throws {TypeError} If it is neither.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { WorkQueue } from "../../mod.ts";
   * await using wq = new WorkQueue({ port: 0 });
   * wq.setUplink("127.0.0.1:9123");
   * assert.throws(() => wq.setUplink("127.0.0.1"), TypeError);
   * wq.setUplink(null);
   * ```
   */
  setUplink(address: string | null): void {
    this.#uplink = checkUplink(address);
    this.#p.advertiser.refresh();
  }

  /**
   * Requires every new connection (workers and status queries) to prove it
   * knows this password, with CCTools' challenge-response exchange
   * (workers: `-P FILE`). Connections already in are not affected.
   *
   * @param password The password: text (as UTF-8) or bytes.
   * @throws {RangeError} If it is empty.
   */
  specifyPassword(password: string | Uint8Array): void {
    this.#p.server.password = passwordBytes(password, "password");
  }

  /**
   * Like {@linkcode specifyPassword}, with the whole content of a file
   * (trailing newline included), as CCTools' `specify_password_file` and
   * the workers' `-P FILE` read it.
   *
   * @param path The password file.
   * @throws {Error} If the file cannot be read or is empty.
   */
  specifyPasswordFile(path: string): void {
    this.#p.server.password = readPasswordFile(path, "specifyPasswordFile");
  }

  /**
   * Writes CCTools' statistics log to a file (appending; as `specify_log`):
   * a header naming the columns, then a line of counters whenever they
   * changed, at most once a second, for `work_queue_graph_log`. Replaces the
   * log written so far. See docs/logs.md.
   *
   * @param path The file.
   * @throws {Error} If it cannot be opened, or the queue is closed.
   */
  specifyLog(path: string): void {
    this.#p.logs.specifyLog(path);
  }

  /**
   * Writes CCTools' transactions log to a file (appending; as
   * `specify_transactions_log`): a line for the manager's start and end,
   * each worker's arrival and departure and each move of each task.
   * Replaces the log written so far. See docs/logs.md.
   *
   * @param path The file.
   * @throws {Error} If it cannot be opened, or the queue is closed.
   */
  specifyTransactionsLog(path: string): void {
    this.#p.logs.specifyTransactionsLog(path);
  }

  #facts() {
    return {
      name: this.#name,
      port: this.port,
      startedAt: this.#startedAt,
      ssl: this.#ssl,
      uplink: this.#uplink,
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
   * Sets the scheduling algorithm for tasks that set none.
   *
   * @param algorithm One of `WORK_QUEUE_SCHEDULE_FCFS` (default), `_FILES`,
   * `_TIME`, `_RAND`, `_WORST` or `_PREFERRED_HOSTS`.
   * @throws {RangeError} If it is not one of those.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { WORK_QUEUE_SCHEDULE_FILES, WorkQueue } from "../../mod.ts";
   *
   * await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1" });
   * wq.specifyAlgorithm(WORK_QUEUE_SCHEDULE_FILES); // prefer workers that cache the inputs
   * assert.throws(() => wq.specifyAlgorithm(7), /7 is not a WORK_QUEUE_SCHEDULE_\* value/);
   * ```
   */
  specifyAlgorithm(algorithm: number): void {
    setAlgorithm(this.#r, algorithm);
  }

  /**
   * Turns on fast abort: once at least 10 tasks have succeeded, a running
   * task that takes longer than `multiplier` times their average is aborted
   * and run again on a different worker; a worker that is the slow one twice
   * in a row is told to exit.
   *
   * @param multiplier How many times the average; `-1` (or any value <= 0) turns it off.
   */
  activateFastAbort(multiplier: number): void {
    setFastAbort(this.#r, multiplier);
  }

  /**
   * Gives no more tasks to workers on a host (by host name or IP address).
   * Tasks already running there finish.
   *
   * @param host The host name the workers report, or their IP address.
   * @param seconds How long; forever if not given.
   */
  blockHost(host: string, seconds?: number): void {
    blockHostIn(this.#r, host, seconds);
  }

  /**
   * Lets a blocked host get tasks again.
   *
   * @param host The host name or address given to `blockHost`.
   * @returns Whether it was blocked.
   */
  unblockHost(host: string): boolean {
    const was = this.#r.blocks.unblock(host);
    this.#r.comm.askForScheduling();
    return was;
  }

  /**
   * Sets how a category's tasks are sized: `WORK_QUEUE_ALLOCATION_MODE_FIXED`
   * (the default: what each task declares), or an automatic mode, `_MAX`,
   * `_MIN_WASTE` or `_MAX_THROUGHPUT`: its first tasks run with the
   * category's maximum (a whole worker if none is set), then the manager
   * sizes the rest from what it measured. See docs/resources.md.
   *
   * @param name The category (`task.category`).
   * @param mode A `WORK_QUEUE_ALLOCATION_MODE_*` value.
   * @throws {RangeError} If the mode is not one of those.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { WORK_QUEUE_ALLOCATION_MODE_MAX, WorkQueue } from "../../mod.ts";
   *
   * await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1" });
   * wq.specifyCategoryMode("align", WORK_QUEUE_ALLOCATION_MODE_MAX);
   * wq.specifyCategoryMaxResources("align", { cores: 2, memory: 4000 });
   * const s = wq.categoryStats("align");
   * assert.equal(s.modeName, "max");
   * assert.deepEqual(s.maxResources, { cores: 2, memory: 4000 });
   * assert.throws(() => wq.specifyCategoryMode("align", 9), /9 is not a WORK_QUEUE_ALLOCATION_MODE_/);
   * ```
   */
  specifyCategoryMode(name: string, mode: number): void {
    setCategoryMode(this.#r, name, mode);
  }

  /**
   * Sets a category's maximum: what its tasks run with before it is
   * measured, and after they run out at their first allocation; what a
   * task declares itself still wins. Unset amounts: the whole worker.
   *
   * @param name The category.
   * @param resources `cores`, `memory` (MB), `disk` (MB), `gpus`.
   * @throws {TypeError} For an unknown resource; {RangeError} for a negative amount.
   */
  specifyCategoryMaxResources(name: string, resources: CategoryResources): void {
    setCategoryResources(this.#r, name, "max", resources);
  }

  /**
   * Sets a category's minimum: no task of it is sized below it.
   *
   * @param name The category.
   * @param resources `cores`, `memory` (MB), `disk` (MB), `gpus`.
   * @throws {TypeError} For an unknown resource; {RangeError} for a negative amount.
   */
  specifyCategoryMinResources(name: string, resources: CategoryResources): void {
    setCategoryResources(this.#r, name, "min", resources);
  }

  /**
   * Gives an automatic category its first allocation at once, instead of
   * measuring its first tasks with the maximum.
   *
   * @param name The category.
   * @param resources `cores`, `memory` (MB), `disk` (MB), `gpus`.
   * @throws {TypeError} For an unknown resource; {RangeError} for a negative amount.
   */
  specifyCategoryFirstAllocationGuess(name: string, resources: CategoryResources): void {
    setCategoryResources(this.#r, name, "first", resources);
  }

  /**
   * What the manager learned about a category: its mode and limits, what
   * its tasks were measured using, the first allocation it sizes them
   * with, and its task counts.
   *
   * @param name The category.
   * @returns A snapshot.
   */
  categoryStats(name: string): CategoryStats {
    return categoryStatsIn(this.#r, name);
  }

  /**
   * Says in words where a task is and, if it waits, why.
   *
   * @param taskId The task's id.
   * @returns A sentence such as "task 17 needs 8 cores; the largest worker has 4".
   */
  explain(taskId: number): string {
    return explainIn(this.#r, taskId);
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
