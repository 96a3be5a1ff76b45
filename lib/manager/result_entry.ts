/**
 * Reading a worker's `result` entries: the stdout that follows the line
 * (kept up to the manager's limit), and what our worker says of the task on
 * `info task-signal` and `info task-measured` lines just before it.
 *
 * @module
 */

import type { LineReader } from "../wire/line_reader.ts";
import type { ResultsReplyLine } from "../wire/results.ts";
import type { Exhaustion, Measured } from "../measured.ts";
import type { WorkerResult } from "./conn_host.ts";

/** A parsed `result` line. */
export type ResultLine = Extract<ResultsReplyLine, { kind: "result" }>;

const decoder = new TextDecoder();

/**
 * Reads the stdout of a `result` entry, keeping at most `maxStdout` bytes
 * (the rest is read and dropped, so the stream stays in step).
 *
 * @param reader The connection's reader, just after the line.
 * @param r The line.
 * @param options `maxStdout`: bytes kept; `report`: what our worker said of it.
 * @returns The result.
 */
export async function readResultEntry(
  reader: LineReader,
  r: ResultLine,
  options: { maxStdout: number; report?: TaskReport },
): Promise<WorkerResult> {
  const { status, exitCode, stdoutLength: len, execUsec, taskId } = r;
  const keep = Math.min(len, options.maxStdout);
  const stdout = keep === 0 ? "" : decoder.decode(await reader.readExact(keep, options.maxStdout));
  if (len > keep) await reader.copyTo(len - keep, null);
  const rep = options.report;
  return {
    taskId,
    status,
    exitCode,
    execUsec,
    stdout,
    stdoutTruncated: keep < len,
    stdoutLength: len,
    ...(rep?.signal === undefined ? {} : { signal: rep.signal }),
    ...(rep?.measured === undefined ? {} : { measured: rep.measured }),
    ...(rep?.exhausted === undefined ? {} : { exhausted: rep.exhausted }),
  };
}

/** What our worker says of a task on `info` lines just before its `result` line. */
export interface TaskReport {
  /** The task. */
  taskId: number;
  /** The signal that killed its shell (`info task-signal`). */
  signal?: string;
  /** What it used (`info task-measured`). */
  measured?: Measured;
  /** The limit it went over, if it was stopped for that. */
  exhausted?: Exhaustion;
}

/**
 * The last `info task-signal` and `info task-measured` read: they belong to
 * the next `result` line, if that is their task's; otherwise they are
 * dropped (and logged).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const dropped: string[] = [];
 * const p = new PendingReport((why, r) => dropped.push(`${r.taskId}: ${why}`));
 * p.set({ taskId: 7, signal: "SIGKILL" });
 * p.set({ taskId: 7, measured: { method: "proc", memoryMB: 10 } });
 * assert.deepEqual(p.take(7), {
 *   taskId: 7,
 *   signal: "SIGKILL",
 *   measured: { method: "proc", memoryMB: 10 },
 * });
 * p.set({ taskId: 8, signal: "SIGTERM" });
 * assert.equal(p.take(9), undefined);
 * assert.deepEqual(dropped, ["8: the next result is task 9's"]);
 * ```
 */
export class PendingReport {
  #r: TaskReport | undefined;
  readonly #drop: (why: string, r: TaskReport) => void;

  /** @param drop Called with why, and the report, when one is dropped. */
  constructor(drop: (why: string, r: TaskReport) => void) {
    this.#drop = drop;
  }

  /**
   * Notes part of a task's report. One held for another task is dropped,
   * and so is one that already has this part.
   */
  set(part: TaskReport): void {
    const r = this.#r;
    if (
      r && r.taskId === part.taskId && !(part.signal && r.signal) && !(part.measured && r.measured)
    ) {
      Object.assign(r, part);
      return;
    }
    if (r) this.drop("another came before a result");
    this.#r = { ...part };
  }

  /**
   * The report of the task whose `result` line was just read, if the last
   * one named it; any other is dropped.
   */
  take(taskId: number): TaskReport | undefined {
    const r = this.#r;
    if (r === undefined) return undefined;
    if (r.taskId === taskId) {
      this.#r = undefined;
      return r;
    }
    this.drop(`the next result is task ${taskId}'s`);
    return undefined;
  }

  /** Drops the report held, if any. */
  drop(why: string): void {
    const r = this.#r;
    if (r === undefined) return;
    this.#r = undefined;
    this.#drop(why, r);
  }
}
