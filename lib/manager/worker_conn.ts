/**
 * The manager's side of one worker connection: the handshake, the read loop
 * (the only reader of the socket), result collection and output retrieval.
 * Everything it learns goes to its {@linkcode ConnHost}.
 *
 * @module
 */

import { type Clock, realClock } from "../clock.ts";
import { ProtocolError } from "../errors.ts";
import type { FrameWriter } from "../wire/frame_writer.ts";
import type { LineReader } from "../wire/line_reader.ts";
import { encodeCommand } from "../wire/commands.ts";
import { clip, isDialect, parseIntField } from "../wire/protocol.ts";
import { parseResultsReplyLine } from "../wire/results.ts";
import { parseWorkerMessage, TASK_SIGNAL_FIELD } from "../wire/worker_messages.ts";
import { TASK_MEASURED_FIELD } from "../wire/task_measured.ts";
import { agreedFastPath, parseFastPathOffer } from "../wire/fast_path.ts";
import { fetchesOutputs, type FetchIo, fetchOutputs } from "./output_fetch.ts";
import { PendingReport, readResultEntry, type ResultLine } from "./result_entry.ts";
import { landUpdateOf } from "./watched_output.ts";
import { type ConnHost, type OutputOutcome, refusal, type WorkerResult } from "./conn_host.ts";
import type { WorkerInfo } from "./worker_info.ts";

export { type ConnHost, type OutputOutcome, refusal, type WorkerResult } from "./conn_host.ts";

/** The most of a `cache-invalid` text kept; the rest is read and dropped. */
const MAX_INVALID_TEXT = 16 * 1024;

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
  readonly #report = new PendingReport((why, r) =>
    this.#host.log(
      "debug",
      `worker ${this.info.label} reported ${
        [r.signal, r.measured && "its measurement"].filter(Boolean).join(" and ")
      } for task ${r.taskId}, but ${why}: ignored`,
    )
  );
  /** A pushed `result` line (fast path) whose stdout is still to be read. */
  #pushed: ResultLine | undefined;
  /** Pushed results read, waiting for their outputs and the reactor. */
  #pushedResults: WorkerResult[] = [];
  readonly #fetchIo: FetchIo;

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
    this.#fetchIo = {
      reader: this.reader,
      writer: this.writer,
      nextReply: (what) => this.#nextReply(what),
      warn: (m) => this.#host.log("warn", `worker ${this.info.label}: ${m}`),
    };
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
      let line: string | null | undefined = this.reader.bufferedLine();
      if (line === undefined) {
        // Every whole line that arrived is read: act on the results it pushed.
        if (this.#pushedResults.length > 0) {
          await this.#finishPushed();
          continue;
        }
        line = await this.reader.readLine();
      }
      if (line === null) return;
      this.#handle(line, "idle");
      if (this.#bodyDue) await this.#readBody();
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
    // On the fast path most lines are pushed results: parsed once, as such.
    if (w.fastPath > 0 && line.startsWith("result ")) return this.#pushedResult(line);
    const m = parseWorkerMessage(line);
    if (m === undefined) return false;
    if (m.kind === "workqueue") return false;
    switch (m.kind) {
      case "alive":
        w.checkSentAt = 0;
        break;
      case "available_results":
        this.#resultsPending = true;
        break;
      case "resource_tag":
        // It ends a resource report: the first completes the handshake (with
        // the other fields), a later one (a foreman's workers came or went)
        // updates the books.
        if (m.tag >= 0 && w.pending.has("tag")) this.#arrived("tag");
        else if (w.pending.size === 0) this.#host.onWorkerUpdate(w);
        break;
      case "resource":
        this.#resource(m.name, m.total, m.largest);
        break;
      case "info":
        // Other fields are ignored: CCTools' statistics (a foreman sends its
        // queue's: workers_joined, tasks_waiting, …) and end_of_resource_update.
        if (m.field === "worker-id") w.workerId = m.value;
        else if (m.field === "worker-end-time") {
          parseIntField(m.value, "end time", line);
          this.#arrived("end-time");
        } else if (m.field === "idle-disconnecting") {
          this.#host.log("debug", `worker ${w.label} is disconnecting after ${m.value} s idle`);
          w.leaving = true;
        } else if (parseFastPathOffer(m.field, m.value) !== undefined) {
          this.#offered(parseFastPathOffer(m.field, m.value)!);
        } else if (m.field === TASK_SIGNAL_FIELD || m.field === TASK_MEASURED_FIELD) {
          this.#host.log("debug", `worker ${w.label} sent a malformed '${clip(line)}': ignored`);
        }
        break;
      case "feature":
        break;
      case "task_signal":
        this.#report.set({ taskId: m.taskId, signal: m.signal });
        break;
      case "task_measured":
        this.#report.set({ taskId: m.taskId, measured: m.measured, exhausted: m.exhausted });
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
   * The worker offered the fast path (`lib/wire/fast_path.ts`): it is on,
   * and the worker is told so before anything else that concerns tasks. An
   * offer after the handshake is ignored (tasks may be under way).
   */
  #offered(version: number): void {
    const w = this.info;
    if (w.fastPath > 0 || !w.pending.has("end-time")) {
      this.#host.log("debug", `worker ${w.label} offered the fast path late: ignored`);
      return;
    }
    w.fastPath = agreedFastPath(version);
    this.writer.send(encodeCommand({ kind: "fast_path", version: w.fastPath }));
    this.#host.log("debug", `worker ${w.label}: fast path ${w.fastPath} on`);
  }

  /** A `result` line pushed on the fast path: its stdout is read next (`#readBody`). */
  #pushedResult(line: string): boolean {
    if (!line.startsWith("result ")) return false;
    const r = parseResultsReplyLine(line);
    if (r.kind !== "result") return false;
    this.#pushed = r;
    return true;
  }

  /** Whether a body (of `cache-invalid`, or a pushed result's stdout) must be read before the next line. */
  get #bodyDue(): boolean {
    return this.#invalid !== undefined || this.#pushed !== undefined;
  }

  async #readBody(): Promise<void> {
    if (this.#invalid) return await this.#readInvalid();
    const r = this.#pushed!;
    this.#pushed = undefined;
    const report = this.#report.take(r.taskId);
    const repeat = this.#pushedResults.some((p) => p.taskId === r.taskId);
    if (repeat || this.#host.taskOn(this.info, r.taskId)?.state !== "running") {
      await this.reader.copyTo(r.stdoutLength, null);
      this.#ignored(r.taskId, repeat ? " (it repeats one not yet handled)" : "");
      return;
    }
    this.#pushedResults.push(
      await readResultEntry(this.reader, r, { maxStdout: this.#maxStdout, report }),
    );
  }

  /** Fetches the outputs of the pushed results and hands them to the reactor. */
  async #finishPushed(): Promise<void> {
    const results = this.#pushedResults;
    this.#pushedResults = [];
    await this.#finishResults(results);
  }

  #ignored(taskId: number, why: string): void {
    this.#host.log(
      "debug",
      `worker ${this.info.label} sent a result for task ${taskId}, which is not running on it: ignored${why}`,
    );
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

  /**
   * One line of a resource report. `workers` is 1 for a worker, and a
   * foreman's count of workers, which may be 0: it joins, and gets tasks
   * once a later report counts one or more (`WorkerInfo.runsTasks`).
   */
  #resource(name: string, total: number, largest: number): void {
    const w = this.info;
    switch (name) {
      case "workers":
        w.workers = total;
        this.#arrived("workers");
        break;
      case "cores":
      case "memory":
      case "disk":
      case "gpus":
        w.total[name] = total;
        w.largest[name] = Number.isFinite(largest) && largest >= 0 ? largest : total;
        break;
    }
  }

  /**
   * The next line that is not an asynchronous message, if it is already
   * buffered (and no `cache-invalid` body must be read first).
   */
  #bufferedReply(): string | undefined {
    for (;;) {
      if (this.#bodyDue) return undefined;
      const line = this.reader.bufferedLine();
      if (line === undefined || this.#isReply(line) || !this.#handleAsync(line)) return line;
    }
  }

  /**
   * Whether a line is a `result` or an `end` (told apart without parsing it
   * twice). On the fast path a `result` is pushed, at any time: not a reply.
   */
  #isReply(line: string): boolean {
    if (line !== "end" && (!line.startsWith("result ") || this.info.fastPath > 0)) return false;
    this.info.lastHeard = this.#clock.now();
    return true;
  }

  /** Reads the next line that is not an asynchronous message. */
  async #nextReply(what: string): Promise<string> {
    for (;;) {
      if (this.#bodyDue) await this.#readBody();
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
        this.#report.drop("no result followed it");
        break;
      }
      if (r.kind === "update") {
        await landUpdateOf(this.#host, this.info, this.reader, r);
        continue;
      }
      const report = this.#report.take(r.taskId);
      const repeat = results.has(r.taskId);
      if (repeat || this.#host.taskOn(this.info, r.taskId)?.state !== "running") {
        // Dropped unread: a reply holds at most one result per running task.
        await this.reader.copyTo(r.stdoutLength, null);
        this.#ignored(r.taskId, repeat ? " (it repeats one in the same reply)" : "");
        continue;
      }
      results.set(
        r.taskId,
        await readResultEntry(this.reader, r, { maxStdout: this.#maxStdout, report }),
      );
    }
    await this.#finishResults(results.values());
  }

  /** Fetches each result's outputs and hands it to the reactor. */
  async #finishResults(results: Iterable<WorkerResult>): Promise<void> {
    for (const r of results) {
      const task = this.#host.taskOn(this.info, r.taskId);
      // Only a task sent to this very connection, and not yet answered, takes
      // a result: a late or repeated one (the task went elsewhere meanwhile,
      // or was cancelled) is dropped.
      if (task?.state !== "running") {
        this.#ignored(r.taskId, "");
        continue;
      }
      this.#host.onTaskReceiving(this.info, task);
      const outputs = !fetchesOutputs(r.status) || task.outputs.length === 0
        ? NO_OUTPUTS
        : await fetchOutputs(this.#fetchIo, task, this.#host.outputNames(task));
      // The task may have been cancelled while its outputs were on their way.
      if (this.#host.taskOn(this.info, r.taskId) === task) {
        this.#host.onTaskResult(this.info, task, r, outputs);
      }
    }
  }
}
