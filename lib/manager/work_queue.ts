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
import { Advertiser } from "./advertiser.ts";
import { isKnownAlgorithm } from "./choose_worker.ts";
import { ConnComm } from "./comm.ts";
import { explainTask } from "./explain.ts";
import { resolveOptions, type WorkQueueOptions } from "./options.ts";
import { Delivery } from "./delivery.ts";
import { Journal } from "./journal/journal.ts";
import type { EventsOptions, EventStream } from "./event_stream.ts";
import { hungry, Reactor } from "./reactor.ts";
import { onCancel, onInputsStaged, onSchedulePass, onSubmit } from "./reactor_tasks.ts";
import { onClose, onShutdownWorkers } from "./reactor_workers.ts";
import { QueueLogs } from "./logs/queue_logs.ts";
import { metricsResponse, renderMetrics } from "./metrics.ts";
import { Server } from "./server.ts";
import { computeStats, type WorkQueueStats } from "./stats.ts";
import { managerRecord } from "./status.ts";
import type { WaitOptions, WaitResult } from "./wait.ts";

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
  readonly #advertiser: Advertiser;
  readonly #r: Reactor;
  readonly #server: Server;
  readonly #comm: ConnComm;
  readonly #delivery: Delivery;
  readonly #logs: QueueLogs;
  readonly #onClosed: (() => void)[] = [];
  #closed: Promise<void> | undefined;
  readonly #startedAt = Date.now();
  readonly #ssl: boolean;
  readonly #journal: Journal | undefined;

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
    const journal = this.#journal = options.journal === undefined
      ? undefined
      : new Journal(options.journal, o.logger);
    this.#name = options.name;
    this.#ssl = options.ssl !== undefined;
    this.#advertiser = new Advertiser({
      catalog: options.catalog,
      intervalSeconds: o.catalogInterval,
      tcp: options.catalogTcp,
      clock: o.clock,
      record: () => managerRecord(this.#r.core, this.#facts()),
      log: o.logger,
    });
    const comm = this.#comm = new ConnComm({
      schedule: () => onSchedulePass(this.#r),
      staged: (task, d, staged) => onInputsStaged(this.#r, task, d, staged),
      deliver: (task) => this.#delivery.deliver(task),
      log: o.logger,
    });
    this.#r = new Reactor(comm, o);
    if (journal) {
      journal.restore(this.#r);
      comm.subscribe(journal.follow);
    }
    comm.subscribe((e) => this.#advertiser.follow(e));
    this.#delivery = new Delivery(this.#r, {
      subscribe: (fn) => comm.subscribe(fn),
      closed: () => this.#closed !== undefined,
    });
    let server: Server | undefined;
    try {
      server = this.#server = new Server(this.#r, comm, {
        ...o,
        ssl: options.ssl,
        facts: () => this.#facts(),
        metrics: () =>
          metricsResponse(renderMetrics({
            core: this.#r.core,
            stats: this.stats,
            name: this.#name,
            startedAt: this.#startedAt,
            traffic: (id) => this.#server.traffic(id),
          })),
      });
      this.#logs = new QueueLogs({
        core: this.#r.core,
        clock: o.clock,
        stats: () => this.stats,
        subscribe: (fn) => comm.subscribe(fn),
        startedAt: this.#startedAt,
        log: o.logger,
      });
      if (options.statsLog !== undefined) this.specifyLog(options.statsLog);
      if (options.transactionsLog !== undefined) {
        this.specifyTransactionsLog(options.transactionsLog);
      }
    } catch (e) {
      // A log that cannot be opened: the port and the journal are given back.
      server?.close().catch(() => {});
      journal?.release();
      throw e;
    }
    this.#server.password = o.password;
    if (this.#name !== undefined) this.#advertiser.start();
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
    if (typeof name !== "string" || name.length === 0 || /\s/.test(name)) {
      throw new TypeError(
        `Cannot set project name: expected a non-empty name without spaces, got '${String(name)}'`,
      );
    }
    this.#name = name;
    if (this.#advertiser.running) this.#advertiser.refresh();
    else this.#advertiser.start();
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
    this.#advertiser.setCatalog(port === undefined ? host : `${host}:${port}`);
    this.#advertiser.refresh();
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
    this.#server.password = passwordBytes(password, "password");
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
    this.#server.password = readPasswordFile(path, "specifyPasswordFile");
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
    this.#logs.specifyLog(path);
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
    this.#logs.specifyTransactionsLog(path);
  }

  #facts() {
    return { name: this.#name, port: this.port, startedAt: this.#startedAt, ssl: this.#ssl };
  }

  /** The port the manager listens on. */
  get port(): number {
    return this.#server.port;
  }

  /** A snapshot of the queue's counters. */
  get stats(): WorkQueueStats {
    const live = this.#server.liveBytes();
    return computeStats(this.#r.core, {
      tasksUnfittable: this.#r.fit.count(),
      hostsBlocked: this.#r.blocks.list(),
      liveBytesSent: live.sent,
      liveBytesReceived: live.received,
    });
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
    return this.#journal?.admit(task) ?? onSubmit(this.#r, task);
  }

  /**
   * Submits a task (unless it is in the queue already) and resolves when it
   * has completed, with its outputs in place. The task then never comes
   * from `wait()`. A cancelled task resolves too (`outcome` "cancelled").
   *
   * @param task The task.
   * @returns The task, completed.
   * @throws {Error} If the queue is closed, or closes before the task completes.
   */
  run<D>(task: Task<D>): Promise<CompletedTask<D>> {
    if (!(task instanceof Task)) {
      return Promise.reject(new TypeError(`Cannot run: expected a Task, got ${typeof task}`));
    }
    if (!this.#journal) return this.#delivery.run(task);
    return this.#journal.run(task, (t) => this.#delivery.run(t));
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
  async wait(timeout: number | WaitOptions = -1): Promise<CompletedTask | null | WaitResult> {
    if (typeof timeout === "object" && timeout !== null) return this.#wait(timeout);
    if (typeof timeout !== "number" || Number.isNaN(timeout)) {
      throw new TypeError(`Cannot wait: timeout must be a number of seconds, got ${timeout}`);
    }
    const r = await this.#wait({ timeoutMs: timeout < 0 ? Infinity : timeout * 1000 });
    return r.status === "task" ? r.task : null;
  }

  #wait(options: WaitOptions): Promise<WaitResult> {
    if (!this.#journal) return this.#delivery.wait(options);
    return this.#journal.wait(() => this.#delivery.wait(options));
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
    return this.#journal?.acknowledge(task) ?? false;
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
    return this.#delivery.events(options);
  }

  /** Whether no submitted task remains to be returned by `wait()` (`run()` claims its own). */
  empty(): boolean {
    this.#journal?.acknowledge();
    return this.#delivery.empty();
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
    if (!isKnownAlgorithm(algorithm)) {
      throw new RangeError(
        `Cannot set scheduling algorithm: ${algorithm} is not a WORK_QUEUE_SCHEDULE_* value`,
      );
    }
    this.#r.algorithm = algorithm;
    this.#r.comm.askForScheduling();
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
    if (typeof multiplier !== "number" || Number.isNaN(multiplier)) {
      throw new TypeError(`Cannot set fast abort: multiplier must be a number, got ${multiplier}`);
    }
    if (multiplier > 0 && multiplier < 1) {
      throw new RangeError(
        `Cannot set fast abort: a multiplier below 1 would abort average tasks, got ${multiplier}`,
      );
    }
    this.#r.fastAbort.multiplier = multiplier;
  }

  /**
   * Gives no more tasks to workers on a host (by host name or IP address).
   * Tasks already running there finish.
   *
   * @param host The host name the workers report, or their IP address.
   * @param seconds How long; forever if not given.
   */
  blockHost(host: string, seconds?: number): void {
    if (typeof host !== "string" || host.length === 0) {
      throw new TypeError(`Cannot block host: expected a host name, got '${String(host)}'`);
    }
    if (seconds !== undefined && !(seconds > 0)) {
      throw new RangeError(`Cannot block host '${host}': seconds must be positive, got ${seconds}`);
    }
    this.#r.blocks.block(host, seconds);
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
   * Says in words where a task is and, if it waits, why.
   *
   * @param taskId The task's id.
   * @returns A sentence such as "task 17 needs 8 cores; the largest worker has 4".
   */
  explain(taskId: number): string {
    const r = this.#r;
    return explainTask(taskId, {
      core: r.core,
      unfit: r.fit.unfit,
      isBlocked: r.isBlocked,
      now: r.clock.now(),
    });
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
  async *[Symbol.asyncIterator](): AsyncIterator<CompletedTask> {
    while (!this.empty()) {
      const t = await this.wait(-1);
      if (t) yield t;
      else if (this.#closed) return;
    }
  }

  async #shutdown(): Promise<void> {
    this.#journal?.acknowledge();
    onClose(this.#r); // queues the releases; a worker that connects now is turned away
    // The logs' last lines see the books as the close left them, live bytes included.
    const logs = this.#logs.close();
    await this.#advertiser.stop();
    await this.#server.close();
    this.#delivery.close();
    await logs;
    await this.#journal?.close();
  }
}
