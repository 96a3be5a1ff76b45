/**
 * One connection to a manager: the handshake, then one command loop that
 * reads every message through one {@linkcode LineReader} and writes every
 * reply through one {@linkcode FrameWriter}.
 *
 * @module
 */

import { errorMessage, ProtocolError } from "../errors.ts";
import { FrameWriter } from "../wire/frame_writer.ts";
import { LineReader } from "../wire/line_reader.ts";
import type { SessionEnd, SessionOptions } from "./session_options.ts";
import { type Command, parseCommand } from "../wire/commands.ts";
import { clip, type Dialect, MAX_LINE, PROTOCOL_VERSION } from "../wire/protocol.ts";
import { readTaskBlock } from "../wire/task_block.ts";
import {
  encodeHandshake,
  encodeResourceReport,
  encodeWorkerMessage,
  type ResourceReportOptions,
} from "../wire/worker_messages.ts";
import { WORK_QUEUE_RESULT_DISK_ALLOC_FULL } from "../constants.ts";
import { MadeInputs } from "./made_inputs.ts";
import { encodeMadeOutcome, queueMadeInput } from "./made_input_commands.ts";
import { Preparer } from "./prepare_task.ts";
import { Unstored } from "./unstored.ts";
import { IdleTimer } from "./idle_timer.ts";
import type { WorkerLog } from "./log.ts";
import { receiveDir, receivePut } from "./receive_files.ts";
import { sendCacheEntry } from "./send_files.ts";
import { OutputWatcher } from "./output_watcher.ts";
import { TaskRunner } from "./task_runner.ts";
import type { Capacity, Runner, RunnerHooks } from "./runner.ts";
import { ResultsOut } from "./results_out.ts";
import { FAST_PATH_VERSION } from "../wire/fast_path.ts";
import { removeAll } from "./workspace.ts";

/** The connection's read buffer: file bodies are copied to disk through it. */
const RECEIVE_BUFFER = 1 << 20;
/** How often watched outputs are looked at while their tasks run, in ms. */
const WATCH_INTERVAL_MS = 1000;

export type { SessionEnd, SessionOptions } from "./session_options.ts";

/**
 * Serves one manager connection until it ends; all tasks are killed and
 * the connection closed before this resolves.
 *
 * @param options Connection, workspace, resources and limits.
 * @returns Why it ended.
 */
export async function runSession(options: SessionOptions): Promise<SessionEnd> {
  return await new Session(options).run();
}

const ALIVE = { kind: "alive" } as const;
/** A close this soon after the handshake, before any byte, counts as a refusal of the protocol. */
const RIGHT_AFTER_MS = 5000;

/** `info tasks_running N`. */
function tasksRunning(n: number): string {
  return encodeWorkerMessage({ kind: "info", field: "tasks_running", value: String(n) });
}

/** What a foreman's resource report says besides its totals. */
function report(cap: Capacity): ResourceReportOptions {
  return { workers: cap.workers, smallest: cap.smallest, largest: cap.largest };
}

/** A foreman's statistics, as `info FIELD VALUE` lines. */
function statsLines(cap: Capacity): string {
  return cap.stats().map(([field, value]) =>
    encodeWorkerMessage({ kind: "info", field, value: String(value) })
  ).join("");
}

class Session {
  #o: SessionOptions;
  #reader: LineReader;
  #writer: FrameWriter;
  #runner: Runner;
  #log: WorkerLog;
  #end: SessionEnd | undefined;
  /** Whether a message from the manager was understood. */
  #heard = false;
  #closed = false;
  #watcher: OutputWatcher;
  #idle: IdleTimer;
  #busy = false;
  /** Uploads that did not fit on the disk (tasks needing them are refused). */
  #unstored = new Unstored();
  #dialect: Dialect;
  /** Inputs the worker makes itself (URLs, commands). */
  #made: MadeInputs;
  /** Tasks between their block and the runner (inputs being made). */
  #preparer: Preparer;
  /** Any byte came from the manager. */
  #gotBytes = false;
  #handshakeAt = 0;
  #stopMaking = new AbortController();
  /** How results reach the manager (`send_results`, or pushed on the fast path). */
  #results: ResultsOut;
  /** Stops following the capacity (a foreman's). */
  #unsubscribe: (() => void) | undefined;
  /** A resource report is due (changes are sent together, once per turn of the event loop). */
  #reportTimer: ReturnType<typeof setTimeout> | undefined;
  /** The id of the last task received, the tag of a resource report. */
  #lastTask = 0;

  constructor(o: SessionOptions) {
    this.#o = o;
    this.#log = o.log;
    // A large buffer lets a file body arrive in few reads and few writes.
    this.#reader = new LineReader(o.conn, { maxLine: MAX_LINE, bufferSize: RECEIVE_BUFFER });
    this.#writer = new FrameWriter(
      o.conn,
      (e) => this.#stop({ kind: "lost", reason: `cannot write: ${e.message}` }),
    );
    this.#watcher = new OutputWatcher({
      log: (m) => this.#log.debug(m),
      onChange: () => this.#results.resultsReady(),
      pollMs: WATCH_INTERVAL_MS,
    });
    this.#dialect = o.dialect ?? PROTOCOL_VERSION;
    // Not idle while tasks are known or a command (e.g. a long put) is under way.
    this.#idle = new IdleTimer(o.idleTimeout, {
      busy: () => this.#runner.size > 0 || this.#preparer.size > 0 || this.#busy,
      fire: () => void this.#onIdle(),
    });
    this.#made = new MadeInputs({
      workspace: o.workspace,
      log: (m) => this.#log.debug(m),
      signal: this.#stopMaking.signal,
      // Protocol 11 says what became of an input made here; protocol 9 has no word for it.
      onMade: (name, outcome) => {
        if (this.#dialect === 11 && !this.#end) this.#send(encodeMadeOutcome(name, outcome));
      },
    });
    const hooks: RunnerHooks = {
      onFinished: () => this.#results.finished(),
      onStarted: (n) => this.#send(tasksRunning(n)),
    };
    this.#runner = o.runner?.(hooks) ?? new TaskRunner({
      ...hooks,
      workspace: o.workspace,
      total: o.total,
      maxStdout: o.maxStdout,
      executor: o.executor,
      measurer: o.measurer,
      enforce: o.enforce,
      cgroups: o.cgroups,
      log: (m) => this.#log.debug(m),
      debug: o.log.debugEnabled,
      onProcessStarted: (spec, sandbox) => this.#watcher.add(spec.id, sandbox, spec.outputs),
      onProcessEnded: (id) => this.#watcher.remove(id),
      onDiskFull: (id, free) =>
        this.#log.notice(
          `task ${id} failed with the workspace's disk full (${free} bytes free): result DISK_ALLOC_FULL`,
        ),
    });
    this.#results = new ResultsOut({
      runner: this.#runner,
      watcher: this.#watcher,
      out: { send: (text) => this.#send(text), writer: this.#writer },
      ended: () => this.#end !== undefined,
    });
    this.#preparer = new Preparer({
      workspace: o.workspace,
      runner: this.#runner,
      made: this.#made,
      dialect: this.#dialect,
      log: o.log,
      beforeRefusal: () => this.#send(tasksRunning(this.#runner.running)),
      onError: (e) => this.#stop({ kind: "lost", reason: errorMessage(e) }),
    });
  }

  async run(): Promise<SessionEnd> {
    const onAbort = () => this.#stop({ kind: "aborted" });
    this.#o.signal?.addEventListener("abort", onAbort);
    if (this.#o.signal?.aborted) onAbort();
    try {
      const cap = this.#o.capacity;
      const offer = {
        ...(this.#o.fastPath === false
          ? {}
          : { fastPath: this.#o.fastPathVersion ?? FAST_PATH_VERSION }),
        ...(cap ? report(cap) : {}),
      };
      this.#send(
        encodeHandshake(this.#o.identity, cap?.total ?? this.#o.total, this.#dialect, offer),
      );
      this.#unsubscribe = cap?.subscribe(() => this.#capacityChanged());
      this.#handshakeAt = performance.now();
      this.#resetIdle();
      while (!this.#end) {
        const line = await this.#reader.readLine();
        if (line === null) {
          this.#stop({ kind: "lost", reason: "the manager closed the connection" });
          break;
        }
        this.#gotBytes = true;
        this.#busy = true;
        const end = await this.#dispatch(line);
        this.#busy = false;
        this.#heard = true;
        if (end) this.#stop(end);
      }
    } catch (e) {
      // A reset is how a manager that did not read all of the handshake closes.
      if (!(e instanceof Deno.errors.ConnectionReset)) this.#gotBytes = true;
      this.#stop({ kind: "lost", reason: errorMessage(e) });
    } finally {
      this.#o.signal?.removeEventListener("abort", onAbort);
      this.#idle.clear();
      clearTimeout(this.#reportTimer);
      this.#watcher.close();
      this.#unsubscribe?.();
      this.#close();
      this.#stopMaking.abort(new Error("the session has ended"));
      await this.#preparer.settled();
      await this.#runner.killAll();
    }
    return this.#end!;
  }

  /** Handles one command; returns how the session ends if it does. */
  async #dispatch(line: string): Promise<SessionEnd | undefined> {
    this.#log.debug(`rx: ${clip(line, 300)}`);
    const c: Command = parseCommand(line);
    const ws = this.#o.workspace;
    switch (c.kind) {
      case "task": {
        const id = c.id;
        this.#lastTask = id;
        const spec = await readTaskBlock(this.#reader, id, {
          onUnknown: (l) => this.#log.debug(`task ${id}: ignoring '${clip(l)}'`),
        });
        this.#resetIdle();
        const why = this.#unstored.refusal(spec);
        if (why) {
          await this.#runner.refuse(spec, { status: WORK_QUEUE_RESULT_DISK_ALLOC_FULL, why });
        } else {
          await this.#preparer.take(spec);
        }
        return;
      }
      case "put":
        await this.#store(c.name, () => receivePut(this.#reader, c, { workspace: ws }));
        return;
      case "dir":
        await this.#store(
          c.name,
          () => receiveDir(this.#reader, c, { workspace: ws, log: (m) => this.#log.debug(m) }),
        );
        return;
      case "url":
      case "puturl":
      case "putcmd":
      case "thirdget":
        this.#unstored.forget(c.name);
        await queueMadeInput(c, {
          reader: this.#reader,
          made: this.#made,
          workspace: ws,
          log: (m) => this.#log.debug(m),
        });
        this.#resetIdle();
        return;
      case "get":
        await this.#results.reply(() =>
          sendCacheEntry(this.#writer, ws, c.name, {
            recursive: c.recursive,
            log: (m) => this.#log.debug(m),
          })
        );
        return;
      case "send_results":
        await this.#results.sendResults();
        return;
      case "fast_path":
        if (this.#o.fastPath === false) {
          throw new ProtocolError(`Cannot turn the fast path on: this worker did not offer it`);
        }
        this.#log.debug(`fast path ${c.version} on: results are pushed as tasks finish`);
        this.#results.fastPathOn();
        return;
      case "kill":
        await this.#writer.flushed(); // never delete a stdout file being streamed
        if (c.id < 0) {
          this.#preparer.dropAll();
          await this.#runner.killAll();
        } else {
          this.#preparer.drop(c.id);
          await this.#runner.kill(c.id);
        }
        return;
      case "unlink":
        this.#unstored.forget(c.name);
        this.#made.forget(c.name);
        await removeAll(ws.cachePath(c.name));
        return;
      case "check":
        this.#send(
          encodeWorkerMessage(ALIVE) + tasksRunning(this.#runner.running) +
            (this.#o.capacity ? statsLines(this.#o.capacity) : ""),
        );
        return;
      case "release":
        return { kind: "release" };
      case "exit":
        return { kind: "exit" };
      case "thirdput":
        this.#send("thirdput-complete 0\n");
        return;
      case "ignored":
        return;
      case "auth":
        throw new ProtocolError(
          "Cannot serve this manager: this manager requires a password (start the worker with -P FILE)",
        );
    }
  }

  /** Receives a `put` or `dir` upload (one that does not fit is remembered: `unstored.ts`). */
  async #store(name: string, receive: () => Promise<void>): Promise<void> {
    await this.#unstored.store(name, receive, (m) => this.#log.notice(m));
    this.#resetIdle();
  }

  #send(text: string): void {
    if (this.#log.debugEnabled) {
      for (const l of text.split("\n").slice(0, -1)) this.#log.debug(`tx: ${clip(l, 300)}`);
    }
    this.#writer.send(text);
  }

  /** A foreman's workers changed: its manager gets a new resource report. */
  #capacityChanged(): void {
    if (this.#reportTimer !== undefined || this.#end) return;
    this.#reportTimer = setTimeout(() => {
      this.#reportTimer = undefined;
      const cap = this.#o.capacity!;
      if (this.#end) return;
      this.#send(encodeResourceReport(cap.total, this.#lastTask, report(cap)) + statsLines(cap));
    }, 0);
  }

  /** Notes activity (`idle_timer.ts`). */
  #resetIdle(): void {
    this.#idle.touch();
  }

  /** No task came for the idle timeout: the manager is told, and the session ends. */
  async #onIdle(): Promise<void> {
    if (this.#end) return;
    this.#log.notice(`disconnecting: no task in ${this.#o.idleTimeout} s (idle timeout)`);
    this.#send(
      encodeWorkerMessage({
        kind: "info",
        field: "idle-disconnecting",
        value: String(this.#o.idleTimeout),
      }),
    );
    await this.#writer.flushed();
    this.#stop({ kind: "idle" });
  }

  /** Records why the session ends (first reason wins) and closes the socket. */
  #stop(end: SessionEnd): void {
    if (end.kind === "lost" && this.#end === undefined) {
      const silent = !this.#gotBytes && this.#handshakeAt > 0 &&
        performance.now() - this.#handshakeAt < RIGHT_AFTER_MS;
      this.#end = { ...end, heard: this.#heard, ...(silent ? { silent } : {}) };
    }
    this.#end ??= end;
    this.#close();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#writer.abort(new Error("the session has ended"));
    try {
      this.#o.conn.close();
    } catch (e) {
      if (!(e instanceof Deno.errors.BadResource)) throw e;
    }
  }
}
