/**
 * Reading a worker's `result` entries: the stdout that follows the line
 * (kept up to the manager's limit), and the signal name our worker sends on
 * an `info task-signal` line just before it.
 *
 * @module
 */

import type { LineReader } from "../wire/line_reader.ts";
import type { ResultsReplyLine } from "../wire/results.ts";
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
 * @param options `maxStdout`: bytes kept; `signal`: the name reported for it.
 * @returns The result.
 */
export async function readResultEntry(
  reader: LineReader,
  r: ResultLine,
  options: { maxStdout: number; signal?: string },
): Promise<WorkerResult> {
  const { status, exitCode, stdoutLength: len, execUsec, taskId } = r;
  const keep = Math.min(len, options.maxStdout);
  const stdout = keep === 0 ? "" : decoder.decode(await reader.readExact(keep, options.maxStdout));
  if (len > keep) await reader.copyTo(len - keep, null);
  const signal = options.signal;
  return {
    taskId,
    status,
    exitCode,
    execUsec,
    stdout,
    stdoutTruncated: keep < len,
    stdoutLength: len,
    ...(signal === undefined ? {} : { signal }),
  };
}

/**
 * The last `info task-signal` read: it belongs to the next `result` line,
 * if that is its task's; otherwise it is dropped (and logged).
 */
export class PendingSignal {
  #s: { taskId: number; signal: string } | undefined;
  readonly #drop: (why: string, s: { taskId: number; signal: string }) => void;

  /** @param drop Called with why, and the signal, when one is dropped. */
  constructor(drop: (why: string, s: { taskId: number; signal: string }) => void) {
    this.#drop = drop;
  }

  /** Notes a signal; one still held is dropped. */
  set(taskId: number, signal: string): void {
    if (this.#s) this.drop("another came before a result");
    this.#s = { taskId, signal };
  }

  /**
   * The signal for the task whose `result` line was just read, if the last
   * one named it; any other is dropped.
   */
  take(taskId: number): string | undefined {
    const s = this.#s;
    if (s === undefined) return undefined;
    if (s.taskId === taskId) {
      this.#s = undefined;
      return s.signal;
    }
    this.drop(`the next result is task ${taskId}'s`);
    return undefined;
  }

  /** Drops the signal held, if any. */
  drop(why: string): void {
    const s = this.#s;
    if (s === undefined) return;
    this.#s = undefined;
    this.#drop(why, s);
  }
}
