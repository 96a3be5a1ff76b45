/**
 * The worker's reply to `send_results` (spec §4.2): one `result` line per
 * finished task, each followed by exactly `stdout_len` bytes of output,
 * `update` records carrying what a running task appended to a watched
 * output (`FLAG_WATCH`), then `end`. Asynchronous messages (`info …`,
 * `alive`…) may come between them; they are `worker_messages.ts`'s.
 *
 * ```
 * result <status> <exit> <stdout_len> <exec_usec> <taskid>⏎<stdout_len bytes>
 * update <taskid> <remote_path> <offset> <len>⏎<len bytes>
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

/**
 * The fields of an `update` line: `length` bytes of a watched output follow
 * it, to be written at `offset` of the local file, which then ends there.
 */
export interface UpdateHeader {
  /** The manager's task id. */
  taskId: number;
  /** The output's name in the sandbox, as the task block gave it (not encoded). */
  remotePath: string;
  /** Where the bytes go in the file. */
  offset: number;
  /** How many bytes follow the line. */
  length: number;
}

/** One line of a `send_results` reply (besides asynchronous messages). */
export type ResultsReplyLine =
  | ({ kind: "result" } & ResultHeader)
  | ({ kind: "update" } & UpdateHeader)
  | { kind: "end" };

/**
 * Whether a remote name can travel in an `update` line: CCTools' managers
 * read it as one whitespace-free token, so a name with a space, a control
 * character or nothing at all cannot be watched.
 *
 * @param remotePath The output's name in the sandbox.
 * @returns Whether an `update` line can carry it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(isUpdatePath("logs/progress.txt"), true);
 * assert.equal(isUpdatePath("my log.txt"), false);
 * ```
 */
export function isUpdatePath(remotePath: string): boolean {
  // deno-lint-ignore no-control-regex
  return remotePath.length > 0 && !/[\s\x00-\x1f\x7f]/.test(remotePath);
}

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
  if (l.kind === "update") {
    if (!isUpdatePath(l.remotePath)) {
      throw new TypeError(
        `Cannot encode update: remote path '${clip(l.remotePath)}' is empty or has whitespace`,
      );
    }
    return `update ${l.taskId} ${l.remotePath} ${l.offset} ${l.length}\n`;
  }
  return `result ${l.status} ${l.exitCode} ${l.stdoutLength} ${l.execUsec} ${l.taskId}\n`;
}

/**
 * Parses a line of a `send_results` reply that is not an asynchronous
 * message: a `result` line, an `update` line or `end` (alone).
 *
 * @param line The line, without its LF.
 * @returns What it says.
 * @throws {ProtocolError} If it is none of these, has too few fields (an
 * `update` exactly five), a field is not an integer, or a length or offset
 * is negative.
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
  if (line.startsWith("result ")) {
    const r = scanResult(line);
    if (r) return r;
  }
  const f = line.split(" ");
  if (f[0] === "update") return parseUpdate(f, line);
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

const RESULT_FIELDS = 5;
const fields = new Array<number>(RESULT_FIELDS);

/**
 * A well-formed `result` line read in place, without splitting it (one per
 * task): five integers of at most 15 digits after `result `, each after one
 * space, and a non-negative stdout length. Anything else is `undefined`, and
 * `parseResultsReplyLine` reads it the long way, which says what is wrong.
 */
function scanResult(line: string): ResultsReplyLine | undefined {
  let i = 7; // after "result "
  for (let k = 0; k < RESULT_FIELDS; k++) {
    if (k > 0 && line.charCodeAt(i++) !== 0x20) return undefined;
    const negative = line.charCodeAt(i) === 0x2d;
    if (negative) i++;
    const from = i;
    let n = 0;
    for (let c = line.charCodeAt(i) - 0x30; c >= 0 && c <= 9; c = line.charCodeAt(++i) - 0x30) {
      n = n * 10 + c;
    }
    if (i === from || i - from > 15) return undefined;
    fields[k] = negative ? -n : n;
  }
  // Fields after the fifth number are ignored, as by the long way.
  if (i < line.length && line.charCodeAt(i) !== 0x20) return undefined;
  if (fields[2] < 0) return undefined;
  return {
    kind: "result",
    status: fields[0],
    exitCode: fields[1],
    stdoutLength: fields[2],
    execUsec: fields[3],
    taskId: fields[4],
  };
}

function parseUpdate(f: string[], line: string): ResultsReplyLine {
  if (f.length !== 5 || f[2] === "") {
    throw new ProtocolError(
      `Cannot read update '${clip(line)}': expected 'update <taskid> <path> <offset> <len>'`,
    );
  }
  const taskId = parseIntField(f[1], "task id", line);
  const offset = parseIntField(f[3], "update offset", line);
  const length = parseIntField(f[4], "update length", line);
  if (offset < 0 || length < 0) {
    throw new ProtocolError(`Cannot read update '${clip(line)}': negative offset or length`);
  }
  return { kind: "update", taskId, remotePath: f[2], offset, length };
}

const END: ResultsReplyLine = Object.freeze({ kind: "end" });
