/**
 * `WorkQueue`: the manager. It listens for workers, places tasks on them,
 * moves their files, and hands completed tasks back through `wait()`.
 *
 * @module
 */

import {
  WORK_QUEUE_DEFAULT_PORT,
  WORK_QUEUE_RESULT_DISK_ALLOC_FULL,
  WORK_QUEUE_RESULT_FORSAKEN,
  WORK_QUEUE_RESULT_INPUT_MISSING,
  WORK_QUEUE_RESULT_MAX_RETRIES,
  WORK_QUEUE_RESULT_OUTPUT_MISSING,
  WORK_QUEUE_RESULT_STDOUT_MISSING,
  WORK_QUEUE_RESULT_SUCCESS,
  WORK_QUEUE_SCHEDULE_FCFS,
} from "../constants.ts";
import { type Clock, type ClockTimer, realClock } from "../clock.ts";
import { errorMessage, ProtocolError } from "../errors.ts";
import { emptyRecord, kInternal, Task } from "../task.ts";
import { FrameWriter } from "../wire/frame_writer.ts";
import { LineReader } from "../wire/line_reader.ts";
import { clip, MAX_LINE } from "../wire/protocol.ts";
import { readPasswordFile } from "../wire/secure_client.ts";
import { admit, openListener, passwordBytes } from "./access.ts";
import { Core } from "./core.ts";
import { Advertiser } from "./advertiser.ts";
import { isKnownAlgorithm } from "./choose_worker.ts";
import { explainTask, largestWorker, unfitReason } from "./explain.ts";
import { FastAbort } from "./fast_abort.ts";
import { HostBlocks } from "./host_blocks.ts";
import type { Resources } from "./resources.ts";
import { schedule } from "./scheduler.ts";
import { defaultLogger, type Logger, type WorkQueueOptions } from "./options.ts";
import { computeStats, type WorkQueueStats } from "./stats.ts";
import { managerRecord, statusReply } from "./status.ts";
import { startSweep } from "./sweep.ts";
import {
  type Dispatch,
  localityKey,
  queueCleanup,
  queueTask,
  stageInputs,
  stageInputsSync,
  type StageResult,
} from "./transfer.ts";
import { type ConnHost, type OutputOutcome, WorkerConn, type WorkerResult } from "./worker_conn.ts";
import { WorkerInfo } from "./worker_info.ts";

/** The shared empty list of a dispatch without inputs or outputs (never mutated). */
const NONE: never[] = [];

function envIs(name: string, value: string): boolean {
  const granted = Deno.permissions.querySync({ name: "env", variable: name }).state === "granted";
  return granted && Deno.env.get(name)?.toLowerCase() === value;
}

const STATUS_REQUESTS = new Set([
  "queue_status",
  "worker_status",
  "task_status",
  "wable_status",
  "resources_status",
]);

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
export class WorkQueue implements AsyncDisposable, AsyncIterable<Task> {
  #name: string | undefined;
  readonly #advertiser: Advertiser;
  readonly #listener: Deno.Listener;
  #password: Uint8Array | undefined;
  readonly #core: Core;
  readonly #log: Logger;
  readonly #options: Required<
    Pick<WorkQueueOptions, "keepaliveInterval" | "keepaliveTimeout" | "maxStdout">
  >;
  readonly #conns = new Map<number, { conn: Deno.Conn; wc?: WorkerConn }>();
  readonly #waiters: (() => void)[] = [];
  readonly #onClosed: (() => void)[] = [];
  readonly #clock: Clock;
  readonly #timer: ClockTimer;
  readonly #accepting: Promise<void>;
  #nextTaskId = 1;
  #algorithm = WORK_QUEUE_SCHEDULE_FCFS;
  readonly #fastAbort = new FastAbort();
  readonly #blocks: HostBlocks;
  readonly #localityKeys = new WeakMap<Task, string[]>();
  /** Waiting tasks too large for every connected worker, with the reason. */
  readonly #unfit = new Map<Task, string>();
  #largest: Resources = { cores: 0, memory: 0, disk: 0, gpus: 0 };
  #readyWorkers = 0;
  #nextConnId = 1;
  #schedulePending = false;
  /** Writers with something queued, flushed at the end of the tick. */
  #dirty: FrameWriter[] = [];
  #tickQueued = false;
  /** The slots of ready workers, for `hungry()`; -1 when not known this tick. */
  #slots = -1;
  #closed: Promise<void> | undefined;
  readonly #startedAt = Date.now();

  /**
   * @param options Port, name, logging and timeouts.
   * @throws {RangeError} For a bad `port` or `catalogInterval`, or an empty password.
   * @throws {TypeError} If `catalog` is not a `host:port` list.
   * @throws {Deno.errors.AddrInUse} If the port is taken (with the port in the message).
   */
  constructor(options: WorkQueueOptions = {}) {
    const port = options.port ?? WORK_QUEUE_DEFAULT_PORT;
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new RangeError(
        `Cannot create WorkQueue: port must be an integer in 0..65535, got ${port}`,
      );
    }
    this.#name = options.name;
    const interval = options.catalogInterval ?? 60;
    if (!(interval > 0)) {
      throw new RangeError(
        `Cannot create WorkQueue: catalogInterval must be positive, got ${interval}`,
      );
    }
    this.#advertiser = new Advertiser({
      catalog: options.catalog,
      intervalSeconds: interval,
      tcp: options.catalogTcp ?? envIs("CATALOG_UPDATE_PROTOCOL", "tcp"),
      record: () => managerRecord(this.#core, this.#facts()),
      log: (level, m) => this.#log(level, m),
    });
    this.#log = options.logger ?? defaultLogger(options.debug ?? false);
    this.#clock = options.clock ?? realClock;
    this.#blocks = new HostBlocks(this.#clock);
    const debug = options.debug ?? false;
    this.#core = new Core(debug ? (m) => this.#log("debug", m) : undefined);
    this.#options = {
      keepaliveInterval: options.keepaliveInterval ?? 30,
      keepaliveTimeout: options.keepaliveTimeout ?? 30,
      maxStdout: options.maxStdout ?? 1 << 30,
    };
    if (options.password !== undefined) {
      this.#password = passwordBytes(options.password, "password");
    }
    const hostname = options.hostname ?? "0.0.0.0";
    this.#listener = openListener({ hostname, port, ssl: options.ssl });
    this.#accepting = this.#acceptLoop();
    if (this.#name !== undefined) this.#advertiser.start();
    if (options.signal?.aborted) this.close();
    else options.signal?.addEventListener("abort", () => this.close(), { once: true });
    this.#timer = startSweep(this.#clock, {
      core: this.#core,
      fastAbort: this.#fastAbort,
      traffic: (w) => {
        const wc = this.#conns.get(w.id)?.wc;
        return { read: wc?.reader.bytesRead ?? 0, written: wc?.writer.bytesWritten ?? 0 };
      },
      abortStraggler: (t) => this.#abortStraggler(t),
      removeWorker: (w, reason) => this.#removeWorker(w, reason, true),
      sendCheck: (w) => this.#conns.get(w.id)?.wc?.writer.send("check\n"),
    }, {
      intervalMs: this.#options.keepaliveInterval * 1000,
      timeoutMs: this.#options.keepaliveTimeout * 1000,
    });
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
    this.#advertiser.start();
    this.#advertiser.update();
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
    if (this.#name !== undefined) this.#advertiser.update();
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
    this.#password = passwordBytes(password, "password");
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
    this.#password = readPasswordFile(path, "specifyPasswordFile");
  }

  #facts() {
    return { name: this.#name, port: this.port, startedAt: this.#startedAt };
  }

  /** The port the manager listens on. */
  get port(): number {
    return (this.#listener.addr as Deno.NetAddr).port;
  }

  /** A snapshot of the queue's counters. */
  get stats(): WorkQueueStats {
    const live = [...this.#conns.values()];
    return computeStats(this.#core, {
      tasksUnfittable: [...this.#unfit.keys()].filter((t) => t.state === "ready").length,
      hostsBlocked: this.#blocks.list(),
      liveBytesSent: live.reduce((n, e) => n + (e.wc?.writer.bytesWritten ?? 0), 0),
      liveBytesReceived: live.reduce((n, e) => n + (e.wc?.reader.bytesRead ?? 0), 0),
    });
  }

  /**
   * Queues a task.
   *
   * @param task The task; it may be one returned earlier, to run it again.
   * @returns The task's id.
   * @throws {TypeError} If it is not a `Task` or is already in the queue.
   */
  submit(task: Task): number {
    if (!(task instanceof Task)) {
      throw new TypeError(`Cannot submit: expected a Task, got ${typeof task}`);
    }
    if (this.#closed) throw new Error(`Cannot submit task: the queue is closed`);
    const state = task.state;
    if (state !== undefined && state !== "returned" && state !== "cancelled") {
      throw new TypeError(
        `Cannot submit task ${task.id}: it is already in the queue (state '${state}')`,
      );
    }
    task.id = this.#nextTaskId++;
    task[kInternal].record = emptyRecord(this.#clock.now());
    task[kInternal].attempts = 0;
    task[kInternal].avoid = undefined;
    task[kInternal].unfitLogged = false;
    this.#core.transition(task, "ready");
    this.#checkFit(task);
    this.#wake();
    return task.id;
  }

  /**
   * Waits for a completed task, whose outputs are already in place.
   *
   * @param timeoutSeconds How long to wait; `-1` (`WORK_QUEUE_WAITFORTASK`) waits until one completes.
   * @returns The task, or `null` when the timeout passes or the queue is empty.
   */
  async wait(timeoutSeconds: number = -1): Promise<Task | null> {
    if (typeof timeoutSeconds !== "number" || Number.isNaN(timeoutSeconds)) {
      throw new TypeError(
        `Cannot wait: timeout must be a number of seconds, got ${timeoutSeconds}`,
      );
    }
    const deadline = timeoutSeconds < 0 ? Infinity : Date.now() + timeoutSeconds * 1000;
    for (;;) {
      const first = this.#core.complete.first();
      if (first) {
        this.#core.transition(first, "returned");
        return first;
      }
      if (this.empty() || this.#closed) return null;
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        let timer: ReturnType<typeof setTimeout> | undefined;
        const wake = () => {
          clearTimeout(timer);
          resolve();
        };
        this.#waiters.push(wake);
        if (left !== Infinity) {
          timer = setTimeout(() => {
            const i = this.#waiters.indexOf(wake);
            if (i >= 0) this.#waiters.splice(i, 1);
            resolve();
          }, left);
        }
      });
    }
  }

  /** Whether no submitted task remains to be returned by `wait()`. */
  empty(): boolean {
    return this.#core.tasks.size === 0;
  }

  /**
   * Whether the application should submit more tasks: fewer are waiting than
   * the connected workers could start (at least 10).
   */
  hungry(): boolean {
    // Workers change only between ticks, so a submit loop sums their slots once.
    if (this.#slots < 0) {
      let slots = 0;
      for (const w of this.#core.workers.values()) if (w.ready) slots += Math.max(1, w.total.cores);
      this.#slots = slots;
    }
    return this.#core.inState.ready < Math.max(10, 2 * this.#slots);
  }

  /**
   * Cancels a task: it is removed from the queue, killed on its worker if it
   * runs, and returned at once (it will not come from `wait()`).
   *
   * @param id The task's id.
   * @returns The cancelled task, or `null` if no such task is in the queue.
   */
  cancelById(id: number): Task | null {
    const task = this.#core.tasks.get(id);
    if (!task) return null;
    const d = this.#core.dispatches.get(id);
    this.#core.transition(task, "cancelled", { reason: "cancelled by the application" });
    if (d) {
      const conn = this.#conns.get(d.worker.id);
      if (conn?.wc) queueCleanup(conn.wc.writer, task, d);
      this.#wake();
    }
    return task;
  }

  /**
   * Cancels the first task (in id order) with this tag.
   *
   * @param tag The tag.
   * @returns The cancelled task, or `null`.
   */
  cancelByTag(tag: string): Task | null {
    for (const t of this.#core.tasks.values()) if (t.tag === tag) return this.cancelById(t.id);
    return null;
  }

  /**
   * Tells idle workers to exit.
   *
   * @param n How many; `0` means all idle workers.
   * @returns How many were told.
   */
  shutdownWorkers(n: number): number {
    let told = 0;
    for (const [id, w] of this.#core.workers) {
      if (n > 0 && told >= n) break;
      if (w.tasks.size > 0 || w.leaving) continue;
      const c = this.#conns.get(id);
      if (!c?.wc) continue;
      w.leaving = true;
      c.wc.writer.send("exit\n");
      told++;
    }
    return told;
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
    this.#algorithm = algorithm;
    this.#wake();
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
    this.#fastAbort.multiplier = multiplier;
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
    this.#blocks.block(host, seconds);
  }

  /**
   * Lets a blocked host get tasks again.
   *
   * @param host The host name or address given to `blockHost`.
   * @returns Whether it was blocked.
   */
  unblockHost(host: string): boolean {
    const was = this.#blocks.unblock(host);
    this.#wake();
    return was;
  }

  /**
   * Says in words where a task is and, if it waits, why.
   *
   * @param taskId The task's id.
   * @returns A sentence such as "task 17 needs 8 cores; the largest worker has 4".
   */
  explain(taskId: number): string {
    return explainTask(taskId, {
      core: this.#core,
      unfit: this.#unfit,
      isBlocked: (w) => this.#blocks.isBlocked(w),
      now: this.#clock.now(),
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
  async *[Symbol.asyncIterator](): AsyncIterator<Task> {
    while (!this.empty()) {
      const t = await this.wait(-1);
      if (t) yield t;
      else if (this.#closed) return;
    }
  }

  async #shutdown(): Promise<void> {
    this.#timer.cancel();
    await this.#advertiser.stop();
    try {
      this.#listener.close();
    } catch (e) {
      if (!(e instanceof Deno.errors.BadResource)) throw e;
    }
    // The port is free only once the pending accept has been cancelled.
    await this.#accepting;
    const flushes: Promise<void>[] = [];
    for (const [id, c] of this.#conns) {
      const w = this.#core.workers.get(id);
      if (c.wc && w && !w.leaving) c.wc.writer.send("release\n");
      if (c.wc) flushes.push(c.wc.writer.flushed());
    }
    // A worker that reads nothing gets 2 s; the timer must not outlive the
    // close (a script would wait for it before it exits).
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all(flushes), new Promise((r) => timer = setTimeout(r, 2000))]);
    clearTimeout(timer);
    for (const c of this.#conns.values()) this.#closeConn(c.conn);
    this.#conns.clear();
    for (const wake of this.#waiters.splice(0)) wake();
  }

  #closeConn(conn: Deno.Conn): void {
    try {
      conn.close();
    } catch (e) {
      if (!(e instanceof Deno.errors.BadResource)) throw e;
    }
  }

  /**
   * Accepts until the listener closes. An error that concerns one
   * connection (reset before it was accepted: ENOTCONN) or a passing
   * shortage (out of file descriptors) is logged, and accepting goes on.
   */
  async #acceptLoop(): Promise<void> {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (e) {
        if (this.#closed || e instanceof Deno.errors.BadResource) return;
        this.#log("warn", `cannot accept a connection: ${errorMessage(e)}`);
        await new Promise((r) => setTimeout(r, 10)); // let descriptors free up
        continue;
      }
      this.#serve(conn);
    }
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    const id = this.#nextConnId++;
    const remote = conn.remoteAddr as Deno.NetAddr;
    const addr = `${remote.hostname}:${remote.port}`;
    const entry: { conn: Deno.Conn; wc?: WorkerConn } = { conn };
    this.#conns.set(id, entry);
    const reader = new LineReader(conn, { maxLine: MAX_LINE });
    const writer = new FrameWriter(conn, () => this.#closeConn(conn), { defer: this.#deferFlush });
    const info = new WorkerInfo(id, addr, { connectedAt: this.#clock.now() });
    let isWorker = false;
    try {
      // Inside the try: a connection reset at once may refuse it.
      if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
      // A peer must get in and say who it is within the keepalive timeout.
      const limit = this.#options.keepaliveTimeout;
      const password = this.#password;
      let timedOut = false;
      const timer = this.#clock.setTimeout(() => {
        timedOut = true;
        const what = password ? "did not authenticate and send a first line" : "no first line";
        this.#log("warn", `disconnected ${addr}: ${what} within ${limit} s`);
        this.#closeConn(conn);
      }, limit * 1000);
      let first: string | null;
      try {
        await admit(conn, { reader, writer, password, timeoutMs: limit * 1000 });
        first = await reader.readLine();
      } catch (e) {
        if (timedOut) return; // closed by the timer, and logged there
        throw e;
      } finally {
        timer.cancel();
      }
      if (first === null) return;
      const word = first.split(" ")[0];
      if (word === "workqueue") {
        isWorker = true;
        this.#core.workers.set(id, info);
        const wc = new WorkerConn(info, { reader, writer }, this.#host, {
          maxStdout: this.#options.maxStdout,
          clock: this.#clock,
        });
        entry.wc = wc;
        await wc.run(first);
        this.#removeWorker(info, info.leaving ? undefined : "it closed the connection");
      } else if (STATUS_REQUESTS.has(word) || word === "GET") {
        writer.send(
          statusReply(first, this.#core, this.#facts()),
        );
        await writer.flushed();
      } else if (first === "auth password sha1") {
        throw new ProtocolError(
          "Cannot accept connection: the peer wants password authentication, but this manager has no password",
        );
      } else {
        throw new ProtocolError(
          `Cannot accept connection: first line '${clip(first)}' is not a Work Queue handshake`,
        );
      }
    } catch (e) {
      if (this.#closed) return;
      // A failed write closes the socket, so the read then fails as "operation canceled":
      // the write's error says what happened.
      if (isWorker) this.#removeWorker(info, errorMessage(writer.error ?? e), true);
      else this.#log("warn", `disconnected ${addr}: ${errorMessage(e)}`);
    } finally {
      if (isWorker) {
        this.#core.counters.bytesReceived += reader.bytesRead;
        this.#core.counters.bytesSent += writer.bytesWritten;
      }
      this.#conns.delete(id);
      this.#closeConn(conn);
    }
  }

  /** Drops a worker; its tasks go back to ready. */
  #removeWorker(w: WorkerInfo, reason: string | undefined, lost = false): void {
    if (!this.#core.removeWorker(w)) return;
    const c = this.#core;
    c.counters.workersRemoved++;
    if (lost) c.counters.workersLost++;
    const tasks = [...w.tasks.values()];
    for (const t of tasks) this.#retry(t, `its worker ${w.label} was lost`);
    this.#refit();
    const what = tasks.length ? `; ${tasks.length} task(s) go back to the queue` : "";
    if (reason) {
      this.#log(
        lost || tasks.length ? "warn" : "debug",
        `removed worker ${w.label}: ${reason}${what}`,
      );
    }
    const entry = this.#conns.get(w.id);
    if (entry) this.#closeConn(entry.conn);
    this.#wake();
  }

  /** Asks for a scheduling pass at the end of this tick (coalesced). */
  #wake(): void {
    if (this.#schedulePending || this.#closed) return;
    this.#schedulePending = true;
    this.#requestTick();
  }

  #requestTick(): void {
    if (this.#tickQueued) return;
    this.#tickQueued = true;
    queueMicrotask(this.#tick);
  }

  readonly #deferFlush = (w: FrameWriter): void => {
    this.#dirty.push(w);
    this.#requestTick();
  };

  /**
   * The end of a tick: one scheduling pass, then one flush of every writer
   * that has something queued, so that a `kill` and the next task go out
   * together.
   */
  readonly #tick = (): void => {
    this.#tickQueued = false;
    this.#slots = -1;
    if (this.#schedulePending) {
      this.#schedulePending = false;
      if (!this.#closed) this.#schedulePass();
    }
    const dirty = this.#dirty;
    if (dirty.length === 0) return;
    this.#dirty = [];
    for (const w of dirty) w.flush();
  };

  readonly #isBlocked = (w: WorkerInfo): boolean => this.#blocks.isBlocked(w);
  readonly #localityKeysFn = (t: Task): string[] => this.#localityKeysOf(t);

  #schedulePass(): void {
    const c = this.#core;
    if (c.ready.size === 0 || c.open.size === 0) return;
    const assignments = schedule(c.ready, c.open, {
      algorithm: this.#algorithm,
      isBlocked: this.#isBlocked,
      localityKeys: this.#localityKeysFn,
    });
    for (const a of assignments) {
      const d: Dispatch = { worker: a.worker, alloc: a.alloc, inputs: NONE, outputNames: NONE };
      c.transition(a.task, "sending", { dispatch: d });
      const staged = stageInputsSync(a.task, a.worker.cached);
      if (staged) this.#send(a.task, d, staged);
      else this.#dispatchAsync(a.task, d);
    }
  }

  async #dispatchAsync(task: Task, d: Dispatch): Promise<void> {
    const staged = await stageInputs(task);
    // The task may have been cancelled, or its worker lost, meanwhile.
    if (this.#core.dispatches.get(task.id) !== d) return;
    this.#send(task, d, staged);
  }

  /** Sends a staged task to its worker (or completes it if an input is missing). */
  #send(task: Task, d: Dispatch, staged: StageResult): void {
    if ("missing" in staged) {
      task[kInternal].record.result = WORK_QUEUE_RESULT_INPUT_MISSING;
      task[kInternal].record.failure = staged.missing;
      this.#log("warn", `task ${task.id} cannot run: ${staged.missing}`);
      this.#complete(task, staged.missing);
      return;
    }
    d.inputs = staged.inputs;
    if (task.outputs.length > 0) {
      d.outputNames = task.outputs.map((o, i) =>
        `file-${task.id}.${i}-${o.remote.replace(/[^A-Za-z0-9._-]/g, "_").slice(-64)}`
      );
    }
    const wc = this.#conns.get(d.worker.id)?.wc;
    if (!wc) return;
    task[kInternal].record.dispatchTime = this.#clock.now();
    task[kInternal].record.host = d.worker.addr;
    task[kInternal].record.hostname = d.worker.hostname;
    queueTask(wc.writer, task, d);
    this.#core.transition(task, "running");
  }

  #localityKeysOf(task: Task): string[] {
    let keys = this.#localityKeys.get(task);
    if (!keys) {
      keys = task.inputs.map(localityKey).filter((k) => k !== undefined);
      this.#localityKeys.set(task, keys);
    }
    return keys;
  }

  /**
   * Puts a task that failed because of the infrastructure back in the
   * queue, or returns it with MAX_RETRIES when it has failed too often.
   */
  #retry(task: Task, reason: string): void {
    const n = ++task[kInternal].attempts;
    if (task.maxRetries > 0 && n >= task.maxRetries) {
      task[kInternal].record.result = WORK_QUEUE_RESULT_MAX_RETRIES;
      task[kInternal].record.failure =
        `failed ${n} time(s) because of the infrastructure (max retries ${task.maxRetries}); last: ${reason}`;
      this.#log("warn", `task ${task.id} gives up: ${task.failure}`);
      this.#complete(task, reason);
      return;
    }
    this.#core.transition(task, "ready", { reason });
    this.#checkFit(task);
    this.#wake();
  }

  /** Notes (and logs, once) a waiting task that no connected worker can ever run. */
  #checkFit(task: Task): void {
    const why = unfitReason(task, this.#largest, this.#readyWorkers);
    if (!why) {
      this.#unfit.delete(task);
      return;
    }
    this.#unfit.set(task, why);
    if (!task[kInternal].unfitLogged) {
      task[kInternal].unfitLogged = true;
      this.#log("warn", `${why}; it waits for a larger worker`);
    }
  }

  /** After workers came or went: recompute the largest worker and which tasks fit. */
  #refit(): void {
    this.#slots = -1;
    const workers = [...this.#core.workers.values()].filter((w) => w.ready);
    const largest = largestWorker(workers);
    const l = this.#largest;
    const same = workers.length > 0 === this.#readyWorkers > 0 && largest.cores === l.cores &&
      largest.memory === l.memory && largest.disk === l.disk && largest.gpus === l.gpus;
    this.#readyWorkers = workers.length;
    if (same) return;
    this.#largest = largest;
    for (const t of this.#unfit.keys()) if (t.state !== "ready") this.#unfit.delete(t);
    for (const t of this.#core.ready) this.#checkFit(t);
  }

  /** Aborts a straggler and runs it again elsewhere; removes a worker that is slow again and again. */
  #abortStraggler(task: Task): void {
    const d = this.#core.dispatches.get(task.id);
    if (!d) return;
    const w = d.worker;
    const wc = this.#conns.get(w.id)?.wc;
    if (wc) queueCleanup(wc.writer, task, d);
    this.#core.counters.tasksFastAborted++;
    w.fastAborts++;
    (task[kInternal].avoid ??= new Set()).add(w.id);
    const limit = ((this.#fastAbort.limit() ?? 0) / 1000).toFixed(1);
    this.#log(
      "warn",
      `task ${task.id} ran longer than ${limit} s on worker ${w.label}: aborted, to run elsewhere`,
    );
    this.#retry(task, `fast abort on worker ${w.label}`);
    if (w.fastAborts >= 2 && wc) {
      this.#core.counters.workersFastAborted++;
      w.leaving = true;
      wc.writer.send("exit\n");
      this.#removeWorker(
        w,
        `it was the slow one for ${w.fastAborts} tasks in a row (fast abort)`,
        false,
      );
    }
  }

  #complete(task: Task, reason?: string): void {
    task[kInternal].record.finishTime = this.#clock.now();
    this.#core.transition(task, "complete", { reason });
    this.#waiters.shift()?.();
    this.#wake();
  }

  readonly #host: ConnHost = {
    onWorkerUpdate: (w) => {
      if (w.ready && !w.joined) {
        w.joined = true;
        this.#core.counters.workersJoined++;
        this.#log(
          "debug",
          `worker ${w.label} joined: ${w.total.cores} cores, ${w.total.memory} MB memory`,
        );
      }
      this.#core.noteRoom(w);
      this.#refit();
      this.#wake();
    },
    taskOn: (w, id) => w.tasks.get(id),
    outputNames: (task) => this.#core.dispatches.get(task.id)?.outputNames ?? [],
    onTaskReceiving: (_w, task) => this.#core.transition(task, "receiving"),
    onTaskResult: (w, task, r, outputs) => this.#onResult(w, task, r, outputs),
    log: (level, msg) => this.#log(level, msg),
  };

  #onResult(w: WorkerInfo, task: Task, r: WorkerResult, outputs: OutputOutcome[]): void {
    const d = this.#core.dispatches.get(task.id);
    const wc = this.#conns.get(w.id)?.wc;
    if (d && wc) queueCleanup(wc.writer, task, d);
    if (r.status === WORK_QUEUE_RESULT_FORSAKEN) {
      this.#retry(task, `worker ${w.label} cannot run it (forsaken)`);
      return;
    }
    if (task.dispatchTime !== undefined) {
      const took = this.#clock.now() - task.dispatchTime;
      w.turnaroundSum += took;
      w.turnaroundCount++;
      if (r.status === WORK_QUEUE_RESULT_SUCCESS) {
        this.#fastAbort.record(took);
        w.fastAborts = 0;
      }
    }
    task[kInternal].record.returnStatus = r.exitCode;
    task[kInternal].record.output = r.stdout;
    task[kInternal].record.executionTime = r.execUsec;
    let result = r.status;
    const missing = outputs.length === 0
      ? outputs
      : outputs.filter((o) => o.missing).map((o) => o.missing);
    if (missing.length > 0) {
      result = WORK_QUEUE_RESULT_OUTPUT_MISSING;
      task[kInternal].record.failure = missing.join("; ");
    }
    if (r.stdoutTruncated) {
      result = result === 0 ? WORK_QUEUE_RESULT_STDOUT_MISSING : result;
      task[kInternal].record.failure ??=
        `standard output was ${r.stdoutLength} bytes; only the first ${this.#options.maxStdout} were kept (maxStdout)`;
    } else if (result === WORK_QUEUE_RESULT_STDOUT_MISSING) {
      task[kInternal].record.failure ??=
        `standard output was cut by worker ${w.label} at its limit (--max-stdout); ${r.stdoutLength} bytes were kept`;
    }
    if (result === WORK_QUEUE_RESULT_DISK_ALLOC_FULL) {
      task[kInternal].record.failure = `disk full on worker ${w.label}: ${
        r.exitCode === 0 && task[kInternal].record.executionTime === 0
          ? "an input or the sandbox did not fit, so the task did not run"
          : `the task failed (exit ${r.exitCode}) with the disk full, so its outputs or stdout did not fit`
      }${task.outputs.length > 0 ? "; its outputs were not retrieved" : ""}`;
      this.#log("warn", `task ${task.id}: ${task.failure}`);
      // The worker kept none of what did not fit: send the inputs again next time.
      for (const [i, input] of (d?.inputs ?? NONE).entries()) {
        if (input.kind === "emptydir") continue;
        w.cached.delete(input.name);
        const key = localityKey(task.inputs[i]);
        if (key) w.cachedKeys.delete(key);
      }
    }
    task[kInternal].record.result = result;
    w.tasksDone++;
    this.#complete(task);
  }
}
