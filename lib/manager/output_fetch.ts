/**
 * Fetching a finished task's outputs from its worker (`get`, then the
 * worker's stream of entries up to `end`), each landed under a temporary
 * name and committed whole, or discarded.
 *
 * @module
 */

import {
  WORK_QUEUE_RESULT_DISK_ALLOC_FULL,
  WORK_QUEUE_RESULT_FORSAKEN,
  WORK_QUEUE_RESULT_INPUT_MISSING,
  WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION,
} from "../constants.ts";
import type { FrameWriter } from "../wire/frame_writer.ts";
import type { LineReader } from "../wire/line_reader.ts";
import { encodeCommand } from "../wire/commands.ts";
import type { Task } from "../task.ts";
import type { OutputOutcome } from "./conn_host.ts";
import { parseOutputEntry } from "./output_entry.ts";
import { OutputLanding } from "./output_landing.ts";

/**
 * Results whose outputs are not fetched. Forsaken or an input missing:
 * nothing ran. Disk full: what is there is cut short. Resource exhaustion:
 * the task was stopped (CCTools fetches only its monitor's summary).
 */
const NOT_FETCHED: ReadonlySet<number> = new Set([
  WORK_QUEUE_RESULT_FORSAKEN,
  WORK_QUEUE_RESULT_INPUT_MISSING,
  WORK_QUEUE_RESULT_DISK_ALLOC_FULL,
  WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION,
]);

/**
 * Whether the outputs of a task with this result are fetched.
 *
 * @param status The `result` line's status.
 * @returns `false` for the results in which nothing ran, or the outputs are cut short.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(fetchesOutputs(0), true);
 * assert.equal(fetchesOutputs(16), false); // resource exhaustion
 * ```
 */
export function fetchesOutputs(status: number): boolean {
  return !NOT_FETCHED.has(status);
}

/** The connection an output is fetched through. */
export interface FetchIo {
  reader: LineReader;
  writer: FrameWriter;
  /** The next line that is not an asynchronous message. */
  nextReply: (what: string) => Promise<string>;
  /** Logs a warning about the worker. */
  warn: (msg: string) => void;
}

/**
 * Fetches every output of a task, in order.
 *
 * @param io The connection.
 * @param task The task.
 * @param names The cache names of its outputs on the worker.
 * @returns What happened to each.
 */
export async function fetchOutputs(
  io: FetchIo,
  task: Task,
  names: readonly string[],
): Promise<OutputOutcome[]> {
  const out: OutputOutcome[] = [];
  for (const [i, spec] of task.outputs.entries()) {
    const landing = new OutputLanding(spec.local);
    try {
      const missing = await getOne(io, names[i], landing) ?? await landing.commit();
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
async function getOne(
  io: FetchIo,
  name: string,
  landing: OutputLanding,
): Promise<string | undefined> {
  io.writer.send(encodeCommand({ kind: "get", name, recursive: true }));
  let missing: string | undefined;
  const refuse = (why: string) => {
    io.warn(`refused output ${why}`);
    missing ??= `was refused: ${why}`;
  };
  const reader = io.reader;
  for (;;) {
    const e = parseOutputEntry(await io.nextReply("output"), name);
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
