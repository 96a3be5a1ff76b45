/**
 * The manager's side of one worker connection: the handshake, the read loop
 * (the only reader of the socket), result collection and output retrieval.
 * Everything it learns goes to its {@linkcode ConnHost}.
 *
 * @module
 */

import { type Clock, realClock } from "../clock.ts";
import {
  WORK_QUEUE_RESULT_DISK_ALLOC_FULL,
  WORK_QUEUE_RESULT_FORSAKEN,
  WORK_QUEUE_RESULT_INPUT_MISSING,
} from "../constants.ts";
import { ProtocolError } from "../errors.ts";
import type { FrameWriter } from "../wire/frame_writer.ts";
import type { ByteSink, LineReader } from "../wire/line_reader.ts";
import { encodeCommand } from "../wire/commands.ts";
import { clip, isDialect, parseIntField } from "../wire/protocol.ts";
import { parseResultsReplyLine, type UpdateHeader } from "../wire/results.ts";
import { parseWorkerMessage, TASK_SIGNAL_FIELD } from "../wire/worker_messages.ts";
import type { Task } from "../task.ts";
import { parseOutputEntry } from "./output_entry.ts";
import { OutputLanding } from "./output_landing.ts";
import { landUpdate } from "./watched_output.ts";
import type { ConnHost, OutputOutcome, WorkerResult } from "./conn_host.ts";
import type { WorkerInfo } from "./worker_info.ts";

export type { ConnHost, OutputOutcome, WorkerResult } from "./conn_host.ts";

/** The most of a `cache-invalid` text kept; the rest is read and dropped. */
const MAX_INVALID_TEXT = 16 * 1024;

/**
 * Why a worker speaking `protocol` is refused: ours are 9 and 11.
 *
 * @param protocol The number in its handshake.
 * @returns The sentence, naming its version and both of ours.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(refusal(10), "it speaks protocol 10; this manager speaks 9 and 11");
 * ```
 */
export function refusal(protocol: number): string {
  return `it speaks protocol ${protocol}; this manager speaks 9 and 11`;
}

const decoder = new TextDecoder();
const NO_OUTPUTS: OutputOutcome[] = [];
const SEND_RESULTS = encodeCommand({ kind: "send_results" });

/**
 * Drives one worker connection until it ends. `run()` resolves when the
 * connection closes cleanly and rejects with the reason otherwise.
 */
export class WorkerConn {
  readonly info: WorkerInfo;
  readonly reader: LineReader;
  readonly writer: FrameWriter;
  readonly #host: ConnHost;
  readonly #maxStdout: number;
  readonly #clock: Clock;
  #resultsPending = false;
  /** A `cache-invalid` line read whose body is still to be read. */
  #invalid: { name: string; length: number } | undefined;
  /** The last `info task-signal` read: it belongs to the next `result` line, if that is its task's. */
  #signal: { taskId: number; signal: string } | undefined;

  /**
   * @param info The worker's books.
   * @param io Its reader and writer.
   * @param host Where events go.
   * @param options `maxStdout`: bytes of stdout kept per task; `clock`: tells
   * when the worker was last heard from (default: the real clock).
   */
  constructor(
    info: WorkerInfo,
    io: { reader: LineReader; writer: FrameWriter },
    host: ConnHost,
    options: { maxStdout: number; clock?: Clock },
  ) {
    this.info = info;
    this.reader = io.reader;
    this.writer = io.writer;
    this.#host = host;
    this.#maxStdout = options.maxStdout;
    this.#clock = options.clock ?? realClock;
  }

  /**
   * Reads until the peer closes. The first line (already read by the
   * listener) is passed in.
   *
   * @param first The `workqueue …` line.
   */
  async run(first: string): Promise<void> {
    this.#handle(first, "idle");
    for (;;) {
      const line = this.reader.bufferedLine() ?? await this.reader.readLine();
      if (line === null) return;
      this.#handle(line, "idle");
      if (this.#invalid) await this.#readInvalid();
      while (this.#resultsPending) {
        this.#resultsPending = false;
        await this.#collectResults();
      }
    }
  }

  /**
   * Handles a message the worker may send at any time. Returns false if the
   * line is not one of those.
   */
  #handleAsync(line: string): boolean {
    const w = this.info;
    w.lastHeard = this.#clock.now();
    const m = parseWorkerMessage(line);
    if (m === undefined || m.kind === "workqueue") return false;
    switch (m.kind) {
      case "alive":
        w.checkSentAt = 0;
        break;
      case "available_results":
        this.#resultsPending = true;
        break;
      case "resource_tag":
        if (m.tag >= 0) this.#arrived("tag");
        if (w.pending.size === 0) this.#host.onWorkerUpdate(w);
        break;
      case "resource":
        this.#resource(m.name, m.total);
        break;
      case "info":
        if (m.field === "worker-id") w.workerId = m.value;
        else if (m.field === "worker-end-time") {
          parseIntField(m.value, "end time", line);
          this.#arrived("end-time");
        } else if (m.field === "idle-disconnecting") {
          this.#host.log("debug", `worker ${w.label} is disconnecting after ${m.value} s idle`);
          w.leaving = true;
        } else if (m.field === TASK_SIGNAL_FIELD) {
          this.#host.log("debug", `worker ${w.label} sent a malformed '${clip(line)}': ignored`);
        }
        break;
      case "feature":
        break;
      case "task_signal":
        if (this.#signal) this.#dropSignal("another came before a result");
        this.#signal = { taskId: m.taskId, signal: m.signal };
        break;
      case "cache_update":
        this.#needDialect11(line);
        this.#host.onCacheUpdate(w, m.name, m.size);
        break;
      case "cache_invalid":
        this.#needDialect11(line);
        // Its body is read by the caller (#readInvalid) before the next line.
        this.#invalid = { name: m.name, length: m.length };
        break;
    }
    return true;
  }

  /**
   * `cache-update` and `cache-invalid` are protocol 11's: a worker that said
   * 9 and sends them is confused (CCTools' protocol-9 manager drops it too).
   */
  #needDialect11(line: string): void {
    if (this.info.dialect === 11) return;
    throw new ProtocolError(
      `Cannot handle message '${clip(line)}': it is protocol 11's, and this worker speaks 9`,
    );
  }

  /** Reads the body of the `cache-invalid` just read, and reports it. */
  async #readInvalid(): Promise<void> {
    const { name, length } = this.#invalid!;
    this.#invalid = undefined;
    const keep = Math.min(length, MAX_INVALID_TEXT);
    const text = decoder.decode(await this.reader.readExact(keep, MAX_INVALID_TEXT));
    if (length > keep) await this.reader.copyTo(length - keep, null);
    this.#host.onCacheInvalid(this.info, name, text);
  }

  /**
   * The signal reported for the task whose `result` line was just read, if
   * the last `info task-signal` named it; any other is dropped.
   */
  #takeSignal(taskId: number): string | undefined {
    const s = this.#signal;
    if (s === undefined) return undefined;
    if (s.taskId === taskId) {
      this.#signal = undefined;
      return s.signal;
    }
    this.#dropSignal(`the next result is task ${taskId}'s`);
    return undefined;
  }

  #dropSignal(why: string): void {
    const s = this.#signal!;
    this.#signal = undefined;
    this.#host.log(
      "debug",
      `worker ${this.info.label} reported ${s.signal} for task ${s.taskId}, but ${why}: ignored`,
    );
  }

  #handle(line: string, where: string): void {
    if (this.#handleAsync(line)) return;
    // Not an asynchronous message: parsed again only here, once per connection.
    const m = parseWorkerMessage(line);
    if (m?.kind === "workqueue") {
      if (!isDialect(m.protocol)) {
        throw new ProtocolError(`Cannot accept worker: ${refusal(m.protocol)}`);
      }
      const w = this.info;
      if (w.pending.has("workqueue")) w.dialect = m.protocol;
      else if (m.protocol !== w.dialect) {
        throw new ProtocolError(
          `Cannot change protocol: worker said ${w.dialect}, now says ${m.protocol}`,
        );
      }
      [w.hostname, w.os, w.arch, w.version] = [m.hostname, m.os, m.arch, m.version];
      this.#arrived("workqueue");
      return;
    }
    throw new ProtocolError(`Cannot handle message '${clip(line)}' while ${where}`);
  }

  #arrived(what: string): void {
    const w = this.info;
    if (!w.pending.delete(what)) return;
    if (w.pending.size === 0) this.#host.onWorkerUpdate(w);
  }

  #resource(name: string, total: number): void {
    const w = this.info;
    switch (name) {
      case "workers":
        if (total >= 1) this.#arrived("workers");
        break;
      case "cores":
      case "memory":
      case "disk":
      case "gpus":
        w.total[name] = total;
        break;
    }
  }

  /**
   * The next line that is not an asynchronous message, if it is already
   * buffered (and no `cache-invalid` body must be read first).
   */
  #bufferedReply(): string | undefined {
    for (;;) {
      if (this.#invalid) return undefined;
      const line = this.reader.bufferedLine();
      if (line === undefined || this.#isReply(line) || !this.#handleAsync(line)) return line;
    }
  }

  /** Whether a line is a `result` or an `end` (told apart without parsing it twice). */
  #isReply(line: string): boolean {
    if (line !== "end" && !line.startsWith("result ")) return false;
    this.info.lastHeard = this.#clock.now();
    return true;
  }

  /** Reads the next line that is not an asynchronous message. */
  async #nextReply(what: string): Promise<string> {
    for (;;) {
      if (this.#invalid) await this.#readInvalid();
      const line = this.reader.bufferedLine() ?? await this.reader.readLine();
      if (line === null) {
        throw new ProtocolError(`Cannot read ${what}: the worker closed the connection`);
      }
      if (this.#isReply(line) || !this.#handleAsync(line)) return line;
    }
  }

  async #collectResults(): Promise<void> {
    this.writer.send(SEND_RESULTS);
    // One entry per task on this worker: a reply cannot grow without bound.
    const results = new Map<number, WorkerResult>();
    for (;;) {
      const r = parseResultsReplyLine(this.#bufferedReply() ?? await this.#nextReply("results"));
      if (r.kind === "end") {
        if (this.#signal) this.#dropSignal("no result followed it");
        break;
      }
      if (r.kind === "update") {
        await this.#update(r);
        continue;
      }
      const { status, exitCode, stdoutLength: len, execUsec, taskId } = r;
      const signal = this.#takeSignal(taskId);
      const repeat = results.has(taskId);
      if (repeat || this.#host.taskOn(this.info, taskId)?.state !== "running") {
        // Dropped unread: a reply holds at most one result per running task.
        await this.reader.copyTo(len, null);
        this.#host.log(
          "debug",
          `worker ${this.info.label} sent a result for task ${taskId}, which is not running on it: ignored${
            repeat ? " (it repeats one in the same reply)" : ""
          }`,
        );
        continue;
      }
      const keep = Math.min(len, this.#maxStdout);
      const stdout = keep === 0
        ? ""
        : decoder.decode(await this.reader.readExact(keep, this.#maxStdout));
      if (len > keep) await this.reader.copyTo(len - keep, null);
      results.set(taskId, {
        taskId,
        status,
        exitCode,
        execUsec,
        stdout,
        stdoutTruncated: keep < len,
        stdoutLength: len,
        ...(signal === undefined ? {} : { signal }),
      });
    }
    for (const r of results.values()) {
      const task = this.#host.taskOn(this.info, r.taskId);
      // Only a task sent to this very connection, and not yet answered, takes
      // a result: a late or repeated one (the task went elsewhere meanwhile,
      // or was cancelled) is dropped.
      if (task?.state !== "running") {
        this.#host.log(
          "debug",
          `worker ${this.info.label} sent a result for task ${r.taskId}, which is not running on it: ignored`,
        );
        continue;
      }
      this.#host.onTaskReceiving(this.info, task);
      // Forsaken or an input missing: nothing ran. Disk full: what is there is cut short.
      const outputs = r.status === WORK_QUEUE_RESULT_FORSAKEN ||
          r.status === WORK_QUEUE_RESULT_INPUT_MISSING ||
          r.status === WORK_QUEUE_RESULT_DISK_ALLOC_FULL || task.outputs.length === 0
        ? NO_OUTPUTS
        : await this.#fetchOutputs(task);
      // The task may have been cancelled while its outputs were on their way.
      if (this.#host.taskOn(this.info, r.taskId) === task) {
        this.#host.onTaskResult(this.info, task, r, outputs);
      }
    }
  }

  /**
   * Lands an `update` record (a watched output, `FLAG_WATCH`) of a task
   * running on this worker; one for any other task (stale: it ended or was
   * cancelled), or naming no watched output of it, is dropped and logged.
   */
  async #update(u: UpdateHeader): Promise<void> {
    const task = this.#host.taskOn(this.info, u.taskId);
    const copy = (sink: ByteSink | null) => this.reader.copyTo(u.length, sink);
    const where = `worker ${this.info.label} sent ${u.length} bytes of '${
      clip(u.remotePath)
    }' at ${u.offset} for task ${u.taskId}`;
    if (task?.state !== "running") {
      await copy(null);
      this.#host.log("debug", `${where}, which is not running on it: ignored`);
      return;
    }
    const dropped = await landUpdate(task.outputs, u, copy);
    if (dropped) this.#host.log("warn", `${where}: dropped, because ${dropped}`);
  }

  async #fetchOutputs(task: Task): Promise<OutputOutcome[]> {
    const names = this.#host.outputNames(task);
    const out: OutputOutcome[] = [];
    for (const [i, spec] of task.outputs.entries()) {
      const landing = new OutputLanding(spec.local);
      try {
        const missing = await this.#get(names[i], landing) ?? await landing.commit();
        if (missing) {
          await landing.discard();
          out.push({ local: spec.local, missing: `output '${spec.remote}' ${missing}` });
        } else {
          out.push({ local: spec.local });
        }
      } catch (e) {
        await landing.discard();
        throw e;
      }
    }
    return out;
  }

  /**
   * Fetches one output; returns why it is missing, or undefined. Entries
   * that are unsafe or cannot be written here fail the output but keep the
   * stream in step; only a line that cannot be followed is a protocol error.
   */
  async #get(name: string, landing: OutputLanding): Promise<string | undefined> {
    this.writer.send(encodeCommand({ kind: "get", name, recursive: true }));
    let missing: string | undefined;
    const refuse = (why: string) => {
      this.#host.log("warn", `worker ${this.info.label}: refused output ${why}`);
      missing ??= `was refused: ${why}`;
    };
    const reader = this.reader;
    for (;;) {
      const e = parseOutputEntry(await this.#nextReply("output"), name);
      if (e.kind === "end") return missing;
      if (e.kind === "refused") {
        if (e.skip > 0) await reader.copyTo(e.skip, null);
        refuse(e.reason);
      } else if (e.kind === "missing") {
        missing ??= e.errno === 2
          ? "was not produced"
          : `could not be read on the worker (errno ${e.errno})`;
      } else if (e.kind === "dir") {
        const failed = await landing.makeDir(e.rel);
        if (failed) refuse(failed);
      } else {
        const failed = await landing.writeFile(e.rel, (sink) => reader.copyTo(e.size, sink));
        if (failed) refuse(failed);
      }
    }
  }
}
