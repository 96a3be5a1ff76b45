/**
 * The worker's reply to `send_results` (spec §4.2): one `result` line per
 * finished task, each followed by exactly `stdout_len` bytes of output,
 * then `end`. Asynchronous messages (`info …`, `alive`…) may come between
 * them; they are `worker_messages.ts`'s.
 *
 * ```
 * result <status> <exit> <stdout_len> <exec_usec> <taskid>⏎<stdout_len bytes>
 * end
 * ```
 *
 * `<status>` is a `WORK_QUEUE_RESULT_*` value, `<exit>` the exit code (or
 * the number of the signal that killed the task's shell, from either
 * worker; ours names it first, in `info task-signal`, see
 * `worker_messages.ts`), and `<exec_usec>` the run time in microseconds.
 * Fields after the fifth are ignored, as CCTools' manager ignores them.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import { clip, parseIntField } from "./protocol.ts";

/** The fields of a `result` line. */
export interface ResultHeader {
  /** The `WORK_QUEUE_RESULT_*` value (0 success, 40 forsaken, …). */
  status: number;
  /** The exit code, or the number of the signal that ended the task. */
  exitCode: number;
  /** How many bytes of stdout follow the line. */
  stdoutLength: number;
  /** Run time on the worker, in microseconds. */
  execUsec: number;
  /** The manager's task id. */
  taskId: number;
}

/** One line of a `send_results` reply (besides asynchronous messages). */
export type ResultsReplyLine = ({ kind: "result" } & ResultHeader) | { kind: "end" };

/**
 * The line of a `send_results` reply entry: `result …` (its stdout bytes
 * follow it) or `end`.
 *
 * @param l The entry.
 * @returns The line, with its LF.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const line = encodeResultsReplyLine({
 *   kind: "result",
 *   status: 0,
 *   exitCode: 7,
 *   stdoutLength: 5,
 *   execUsec: 99,
 *   taskId: 3,
 * });
 * assert.equal(line, "result 0 7 5 99 3\n");
 * ```
 */
export function encodeResultsReplyLine(l: ResultsReplyLine): string {
  if (l.kind === "end") return "end\n";
  return `result ${l.status} ${l.exitCode} ${l.stdoutLength} ${l.execUsec} ${l.taskId}\n`;
}

/**
 * Parses a line of a `send_results` reply that is not an asynchronous
 * message: a `result` line or `end` (alone).
 *
 * @param line The line, without its LF.
 * @returns What it says.
 * @throws {ProtocolError} If it is neither, has too few fields, a field is
 * not an integer, or the stdout length is negative.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseResultsReplyLine("result 0 3 8 2449 2"), {
 *   kind: "result",
 *   status: 0,
 *   exitCode: 3,
 *   stdoutLength: 8,
 *   execUsec: 2449,
 *   taskId: 2,
 * });
 * assert.deepEqual(parseResultsReplyLine("end"), { kind: "end" });
 * ```
 */
export function parseResultsReplyLine(line: string): ResultsReplyLine {
  if (line === "end") return END;
  const f = line.split(" ");
  if (f[0] !== "result" || f.length < 6) {
    throw new ProtocolError(`Cannot handle message '${clip(line)}' while reading results`);
  }
  const status = parseIntField(f[1], "result status", line);
  const exitCode = parseIntField(f[2], "exit code", line);
  const stdoutLength = parseIntField(f[3], "stdout length", line);
  const execUsec = parseIntField(f[4], "execution time", line);
  const taskId = parseIntField(f[5], "task id", line);
  if (stdoutLength < 0) {
    throw new ProtocolError(`Cannot read result '${clip(line)}': negative stdout length`);
  }
  return { kind: "result", status, exitCode, stdoutLength, execUsec, taskId };
}

const END: ResultsReplyLine = Object.freeze({ kind: "end" });
