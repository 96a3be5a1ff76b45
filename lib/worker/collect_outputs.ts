/**
 * What a task's process left, once it has ended: its outputs moved out of
 * its sandbox, and its stdout measured (and cut to the most the worker
 * reports). `TaskRunner` calls it before recording the task's result.
 *
 * @module
 */

import { WORK_QUEUE_RESULT_STDOUT_MISSING, WORK_QUEUE_RESULT_UNKNOWN } from "../constants.ts";
import { errorMessage } from "../errors.ts";
import type { TaskBlock } from "../wire/task_block.ts";
import { stageOut } from "./sandbox.ts";
import type { Workspace } from "./workspace.ts";

/** A task's stdout as its result reports it. */
export interface CollectedStdout {
  /** The file holding it; empty when it was in memory (or there is none). */
  path: string;
  /** How many bytes of it to send. */
  length: number;
  /** How many bytes the task wrote. */
  size: number;
}

/** What {@linkcode collectOutputs} found. */
export interface CollectedOutputs {
  /** The task's stdout (none if collecting failed). */
  stdout: CollectedStdout;
  /** `STDOUT_MISSING` if its stdout was cut, `UNKNOWN` if collecting failed, else 0. */
  status: number;
}

/** What {@linkcode collectOutputs} needs besides the task. */
export interface CollectOptions {
  /** The most stdout bytes reported per task. */
  maxStdout: number;
  /** The stdout, if the process gave it in memory rather than in the stdout file. */
  stdoutText?: Uint8Array;
  /** Debug log. */
  log: (message: string) => void;
}

/**
 * Moves the outputs of an ended task out of its sandbox and measures its
 * stdout, cutting a stdout file to `maxStdout` bytes. Never throws: a
 * failure is logged and said in `status`.
 *
 * @param ws The workspace.
 * @param spec The task.
 * @param options The stdout limit, the stdout given in memory, the log.
 * @returns Its stdout and the status it gives the task.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Workspace } from "./workspace.ts";
 * const dir = await Deno.makeTempDir();
 * const ws = await Workspace.create(dir);
 * const spec = { id: 1, command: "", inputs: [], outputs: [] } as never;
 * const text = new TextEncoder().encode("hello\n");
 * const r = await collectOutputs(ws, spec, { maxStdout: 3, stdoutText: text, log: () => {} });
 * assert.deepEqual(r.stdout, { path: "", length: 3, size: 6 });
 * assert.equal(r.status, 4); // WORK_QUEUE_RESULT_STDOUT_MISSING
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function collectOutputs(
  ws: Workspace,
  spec: TaskBlock,
  options: CollectOptions,
): Promise<CollectedOutputs> {
  const { maxStdout, stdoutText, log } = options;
  let stdout: CollectedStdout = { path: "", length: 0, size: 0 };
  try {
    if (spec.outputs.length > 0) await stageOut(ws, spec, log);
    stdout = stdoutText
      ? { path: "", length: Math.min(stdoutText.length, maxStdout), size: stdoutText.length }
      : collectStdout(ws, spec.id, options);
    if (stdout.length < stdout.size) return { stdout, status: WORK_QUEUE_RESULT_STDOUT_MISSING };
  } catch (err) {
    log(`task ${spec.id}: cannot collect its outputs: ${errorMessage(err)}`);
    return { stdout, status: WORK_QUEUE_RESULT_UNKNOWN };
  }
  return { stdout, status: 0 };
}

/** Measures the stdout file, cutting it to `maxStdout` bytes. */
function collectStdout(ws: Workspace, id: number, options: CollectOptions): CollectedStdout {
  const { maxStdout, log } = options;
  const path = ws.stdoutPath(id);
  let size = 0;
  try {
    size = Deno.statSync(path).size;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (size <= maxStdout) return { path, length: size, size };
  log(`task ${id}: its stdout is ${size} bytes; sending the first ${maxStdout}`);
  Deno.truncateSync(path, maxStdout);
  return { path, length: maxStdout, size };
}
