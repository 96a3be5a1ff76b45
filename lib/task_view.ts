/**
 * A task as a user thinks of it: what `task.toJSON()` gives and what
 * `console.log(task)` prints. Its command, files (a buffer as its size),
 * resources, data and, once finished, its result; never the manager's
 * bookkeeping.
 *
 * @module
 */

import type { ResourceRequest } from "./task_options.ts";
import type { InputSpec, OutputSpec } from "./task_files.ts";
import type { Outcome, TaskState } from "./task_result.ts";
import type { Measured } from "./measured.ts";

/** The key of Deno's custom inspect method. */
export const kDenoInspect: unique symbol = Symbol.for("Deno.customInspect");
/** The key of Node's custom inspect method (Deno's `node:util` reads it too). */
export const kNodeInspect: unique symbol = Symbol.for("nodejs.util.inspect.custom");

/** What `task.toJSON()` gives: the task's fields, and its result once it is finished. */
export interface TaskJson<D = unknown> {
  /** The id the queue gave it (`0` before submit). */
  id: number;
  /** The shell command. */
  command: string;
  /** Its tag, or `null`. */
  tag: string | null;
  /** Its state, or `null` before submit. */
  state: TaskState | null;
  /** The application's `data`, as it is. */
  data: D;
  /** The inputs; a buffer shows its size in `bytes`, not its contents. */
  inputs: (
    | { kind: "file"; local: string; remote: string; cache: boolean }
    | { kind: "buffer"; bytes: number; remote: string; cache: boolean }
    | { kind: "emptydir"; remote: string }
    | { kind: "url"; url: string; remote: string; cache: boolean }
    | { kind: "command"; command: string; remote: string; cache: boolean }
  )[];
  /** The outputs. */
  outputs: OutputSpec[];
  /** The environment variables set for the command. */
  env: Record<string, string>;
  /** The resources asked for (empty: the whole worker). */
  resources: ResourceRequest;
  /** Its priority. */
  priority: number;
  /** Its category. */
  category: string;
  /** Its `maxRetries`. */
  maxRetries: number;
  /** Its `runningTimeMax` in seconds, when set. */
  runningTimeMax?: number;
  /** Its `endTime` in ms since the epoch, when set. */
  endTime?: number;
  /** Infrastructure failures so far. */
  attempts: number;
  /** Once finished: whether it succeeded with exit code 0. */
  ok?: boolean;
  /** Once finished: how it ended. */
  outcome?: Outcome;
  /** Once finished: the command's exit code, or `null`. */
  exitCode?: number | null;
  /** Once finished: the signal that killed the command, or `null`. */
  signal?: string | null;
  /** Once finished: what the command used, as its worker measured it, or `null`. */
  measured?: Measured | null;
  /** Once finished: the `WORK_QUEUE_RESULT_*` value. */
  result?: number;
  /** Once finished: CCTools' return status (`-1` if the command never ran). */
  returnStatus?: number;
  /** Once finished: the command's output. */
  output?: string;
  /** Once finished: what went wrong, or `null`. */
  failure?: string | null;
  /** Once finished: the worker's address, or `null`. */
  host?: string | null;
  /** Once finished: the worker's host name, or `null`. */
  hostname?: string | null;
  /** Once finished: when it was submitted (ms since the epoch). */
  submittedAt?: number;
  /** Once finished: when it was last dispatched (ms since the epoch), or `null`. */
  dispatchedAt?: number | null;
  /** Once finished: when it finished (ms since the epoch). */
  finishedAt?: number;
  /** Once finished: how long the command ran on its worker (ms), or `null`. */
  runMs?: number | null;
}

/** The fields of a task that its view reads (a `Task` has them all). */
export interface ViewedTask<D = unknown> {
  readonly id: number;
  readonly command: string;
  readonly tag: string | undefined;
  readonly state: TaskState | undefined;
  readonly data: D;
  readonly inputs: readonly InputSpec[];
  readonly outputs: readonly OutputSpec[];
  readonly environment: ReadonlyMap<string, string>;
  readonly resources: Readonly<ResourceRequest>;
  readonly priority: number;
  readonly category: string;
  readonly maxRetries: number;
  readonly runningTimeMax: number;
  readonly endTime: number;
  readonly attempts: number;
  readonly ok: boolean | undefined;
  readonly outcome: Outcome | undefined;
  readonly exitCode: number | null | undefined;
  readonly signal: string | null | undefined;
  readonly measured: Measured | null | undefined;
  readonly result: number | undefined;
  readonly returnStatus: number | undefined;
  readonly output: string;
  readonly failure: string | null | undefined;
  readonly host: string | null | undefined;
  readonly hostname: string | null | undefined;
  readonly submittedAt: number | undefined;
  readonly dispatchedAt: number | null | undefined;
  readonly finishedAt: number | undefined;
  readonly runMs: number | null | undefined;
}

/**
 * A task as JSON: every field always present, the result fields once the
 * task is finished.
 *
 * @param t The task.
 * @returns A new plain object.
 */
export function taskJson<D>(t: ViewedTask<D>): TaskJson<D> {
  const json: TaskJson<D> = {
    id: t.id,
    command: t.command,
    tag: t.tag ?? null,
    state: t.state ?? null,
    data: t.data,
    inputs: t.inputs.map((i) =>
      i.kind === "buffer"
        ? { kind: "buffer", bytes: i.data.byteLength, remote: i.remote, cache: i.cache }
        : { ...i }
    ),
    outputs: t.outputs.map((o) => ({ ...o })),
    env: Object.fromEntries(t.environment),
    resources: { ...t.resources },
    priority: t.priority,
    category: t.category,
    maxRetries: t.maxRetries,
    ...(t.runningTimeMax > 0 ? { runningTimeMax: t.runningTimeMax } : {}),
    ...(t.endTime > 0 ? { endTime: t.endTime } : {}),
    attempts: t.attempts,
  };
  if (t.ok !== undefined) {
    Object.assign(json, {
      ok: t.ok,
      outcome: t.outcome,
      exitCode: t.exitCode,
      signal: t.signal,
      measured: t.measured,
      result: t.result,
      returnStatus: t.returnStatus,
      output: t.output,
      failure: t.failure,
      host: t.host,
      hostname: t.hostname,
      submittedAt: t.submittedAt,
      dispatchedAt: t.dispatchedAt,
      finishedAt: t.finishedAt,
      runMs: t.runMs,
    });
  }
  return json;
}

/** What inspect prints is an instance of this, so that it reads `Task { … }`. */
class Printed {}
Object.defineProperty(Printed, "name", { value: "Task" });

/** How much of a task's output inspect shows. */
const OUTPUT_SHOWN = 200;

/**
 * A task as inspect shows it: the JSON form without the fields that say
 * nothing (no tag, no files, default priority …), and its output cut short.
 *
 * @param t The task.
 * @returns An object that prints as `Task { … }`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Task } from "./task.ts";
 *
 * const t = new Task({ command: "cat p", inputs: [{ buffer: "n=1\n", remote: "p" }], data: 7 });
 * assert.equal(
 *   Deno.inspect(printedTask(t), { colors: false }),
 *   'Task {\n  id: 0,\n  command: "cat p",\n  data: 7,\n' +
 *     '  inputs: [ { kind: "buffer", bytes: 4, remote: "p", cache: true } ]\n}',
 * );
 * ```
 */
export function printedTask<D>(t: ViewedTask<D>): object {
  const json: Partial<TaskJson<D>> = taskJson(t);
  if (json.tag === null) delete json.tag;
  if (json.state === null) delete json.state;
  if (json.data === undefined) delete json.data;
  if (json.inputs?.length === 0) delete json.inputs;
  if (json.outputs?.length === 0) delete json.outputs;
  if (Object.keys(json.env ?? {}).length === 0) delete json.env;
  if (Object.keys(json.resources ?? {}).length === 0) delete json.resources;
  if (json.priority === 0) delete json.priority;
  if (json.category === "default") delete json.category;
  if (json.maxRetries === 0) delete json.maxRetries;
  if (json.attempts === 0) delete json.attempts;
  const output = json.output;
  if (output !== undefined && output.length > OUTPUT_SHOWN) {
    json.output = `${output.slice(0, OUTPUT_SHOWN)}… (${output.length} characters)`;
  }
  return Object.assign(new Printed(), json);
}
