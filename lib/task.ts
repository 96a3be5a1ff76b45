/**
 * `Task`: a shell command with its input and output files, its resources,
 * the application's own data and, once it has run, its result.
 *
 * @module
 */

import { WORK_QUEUE_SCHEDULE_UNSET } from "./constants.ts";
import {
  applyTaskOptions,
  commandOf,
  type ResourceRequest,
  type TaskOptions,
} from "./task_options.ts";
import { TaskFiles } from "./task_io.ts";
import { kDenoInspect, kNodeInspect, printedTask, type TaskJson, taskJson } from "./task_view.ts";

// What the manager imports from here (it reaches the task_*.ts modules through this one).
export type { InputSpec } from "./task_files.ts";
export { emptyRecord, type TaskRecord, type TaskState } from "./task_result.ts";
export { kInternal } from "./task_internal.ts";

// Shared, never-mutated defaults: a task allocates its lists only when it gets an entry.
const NO_ENV: ReadonlyMap<string, string> = new Map();
const NO_REQUEST: Readonly<ResourceRequest> = Object.freeze({});

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkCount(what: string, n: number): number {
  if (typeof n !== "number" || !Number.isFinite(n) || n < 0) {
    throw new RangeError(`Cannot set ${what}: it must be a non-negative number, got ${n}`);
  }
  return n;
}

/** A time limit: finite and not negative. */
function checkTime(n: number, what: string): number {
  if (typeof n !== "number" || !Number.isFinite(n) || n < 0) {
    throw new RangeError(`Cannot set ${what}: it must be a finite number >= 0, got ${n}`);
  }
  return n;
}

/**
 * A unit of work: a shell command run in a private sandbox on a worker,
 * with the files it reads and writes. Make one from an options object, or
 * from the command and then the `specify*` methods (CCTools' way); `D` is
 * the type of the application's own `data`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const t = new Task({
 *   command: "gzip < data.txt > data.txt.gz",
 *   inputs: [{ local: "data.txt" }],
 *   outputs: [{ local: "data.txt.gz" }],
 *   tag: "compress",
 *   data: { sample: 7 },
 * });
 * // The same task, CCTools' way:
 * const u = new Task("gzip < data.txt > data.txt.gz")
 *   .specifyInputFile("data.txt")
 *   .specifyOutputFile("data.txt.gz")
 *   .specifyTag("compress");
 * assert.deepEqual([t.inputs, t.outputs, t.tag], [u.inputs, u.outputs, u.tag]);
 * assert.equal(t.data.sample, 7);
 * assert.equal(t.ok, undefined); // defined once the task is finished
 * ```
 */
export class Task<D = unknown> extends TaskFiles {
  /** The id the queue gave it at submit; `0` before. */
  id = 0;
  /** The shell command, run as `/bin/sh -c` in the task's sandbox. */
  command: string;
  /** A free-form label, used by `cancelByTag`. */
  tag: string | undefined;
  /** The scheduling algorithm for this task; `WORK_QUEUE_SCHEDULE_UNSET` uses the queue's. */
  algorithm: number = WORK_QUEUE_SCHEDULE_UNSET;
  /** Higher runs first; ties go in submit order. */
  priority = 0;
  /** The category name sent to workers. */
  category = "default";
  /**
   * How many failures caused by the infrastructure (a lost worker, a fast
   * abort, a worker that cannot run it) it survives; `0`, the default,
   * retries forever. Past it the task returns with `WORK_QUEUE_RESULT_MAX_RETRIES`.
   */
  maxRetries = 0;
  /**
   * The longest the command may run on a worker, in seconds; `0`, the
   * default, is no limit. Past it the worker kills it, and it returns with
   * `WORK_QUEUE_RESULT_TASK_MAX_RUN_TIME`.
   */
  runningTimeMax = 0;
  /**
   * When it must be done by, in ms since the epoch; `0`, the default, is
   * never. A worker kills it then, or does not start it after, and it
   * returns with `WORK_QUEUE_RESULT_TASK_TIMEOUT`.
   */
  endTime = 0;
  /** The application's own value, kept untouched (not copied); the queue never reads it. */
  data: D = undefined as D;
  /**
   * The application's name for this submission, for a queue with a journal:
   * submitting a new task whose key the journal knows queues nothing and
   * returns the known task's id (docs/journal.md).
   */
  key: string | undefined;

  #env: Map<string, string> | undefined;
  #resources: ResourceRequest | undefined;
  #preferredHosts: string[] | undefined;

  /**
   * @param command The shell command, run with `/bin/sh -c` in the sandbox.
   * @throws {TypeError} If the command is not a non-empty string.
   */
  constructor(command: string);
  /**
   * @param options The command and, optionally, its files, environment,
   * resources, tag, priority, retries, category, preferred hosts and `data`.
   * @throws {TypeError} For an unknown option, one of the wrong type, or a
   * bad file or variable name (as the `specify*` methods throw).
   * @throws {RangeError} For a resource, priority or retry count out of range.
   */
  constructor(options: TaskOptions<D>);
  constructor(arg: string | TaskOptions<D>) {
    super();
    this.command = commandOf(arg);
    if (typeof arg === "object") applyTaskOptions(this, arg);
  }

  /** Host names (or addresses) it prefers, for `WORK_QUEUE_SCHEDULE_PREFERRED_HOSTS`. */
  get preferredHosts(): string[] {
    return this.#preferredHosts ??= [];
  }

  set preferredHosts(hosts: string[]) {
    this.#preferredHosts = hosts;
  }

  /** The environment variables set for the command. */
  get environment(): ReadonlyMap<string, string> {
    return this.#env ?? NO_ENV;
  }

  /** The resources asked for (empty: the whole worker). */
  get resources(): Readonly<ResourceRequest> {
    return this.#resources ?? NO_REQUEST;
  }

  /**
   * Sets an environment variable for the command.
   *
   * @param name The variable's name.
   * @param value Its value.
   * @returns This task.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const t = new Task("echo $SEED").specifyEnvironmentVariable("SEED", "42");
   * assert.deepEqual([...t.environment], [["SEED", "42"]]);
   * assert.throws(() => t.specifyEnvironmentVariable("NOT A NAME", "x"), TypeError);
   * ```
   */
  specifyEnvironmentVariable(name: string, value: string): this {
    if (typeof name !== "string" || !ENV_NAME.test(name)) {
      throw new TypeError(
        `Cannot set environment variable: name '${name}' is not a valid variable name`,
      );
    }
    if (typeof value !== "string") {
      throw new TypeError(
        `Cannot set environment variable '${name}': value must be a string, got ${typeof value}`,
      );
    }
    (this.#env ??= new Map()).set(name, value);
    return this;
  }

  /**
   * Asks for cores; a task that sets no resource takes a whole worker.
   *
   * @param cores How many.
   * @returns This task.
   */
  specifyCores(cores: number): this {
    (this.#resources ??= {}).cores = checkCount("cores", cores);
    return this;
  }

  /**
   * Asks for memory.
   *
   * @param mb Megabytes.
   * @returns This task.
   */
  specifyMemory(mb: number): this {
    (this.#resources ??= {}).memory = checkCount("memory", mb);
    return this;
  }

  /**
   * Asks for disk.
   *
   * @param mb Megabytes.
   * @returns This task.
   */
  specifyDisk(mb: number): this {
    (this.#resources ??= {}).disk = checkCount("disk", mb);
    return this;
  }

  /**
   * Asks for GPUs.
   *
   * @param gpus How many.
   * @returns This task.
   */
  specifyGpus(gpus: number): this {
    (this.#resources ??= {}).gpus = checkCount("gpus", gpus);
    return this;
  }

  /**
   * Sets how many infrastructure failures the task survives before it
   * returns with `WORK_QUEUE_RESULT_MAX_RETRIES` (`0`: retry forever).
   *
   * @param n A whole number of retries.
   * @returns This task.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const t = new Task("./simulate").specifyMaxRetries(3);
   * assert.equal(t.maxRetries, 3);
   * assert.throws(() => t.specifyMaxRetries(-1), RangeError);
   * ```
   */
  specifyMaxRetries(n: number): this {
    if (!Number.isInteger(n) || n < 0) {
      throw new RangeError(`Cannot set max retries: it must be a whole number >= 0, got ${n}`);
    }
    this.maxRetries = n;
    return this;
  }

  /**
   * Limits how long the command may run on its worker (CCTools'
   * `specify_running_time_max`): past it the worker kills it, and it returns
   * with `WORK_QUEUE_RESULT_TASK_MAX_RUN_TIME`, not retried.
   *
   * @param seconds The limit; `0` removes it.
   * @returns This task.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const t = new Task("./simulate").specifyRunningTimeMax(3600);
   * assert.equal(t.runningTimeMax, 3600);
   * assert.throws(() => t.specifyRunningTimeMax(-1), RangeError);
   * ```
   */
  specifyRunningTimeMax(seconds: number): this {
    this.runningTimeMax = checkTime(seconds, "running time max");
    return this;
  }

  /**
   * Sets when the task must be done by (CCTools' `specify_end_time`, in ms
   * here): a worker kills it then, or does not start it after, and it
   * returns with `WORK_QUEUE_RESULT_TASK_TIMEOUT`, not retried.
   *
   * @param epochMs The deadline in ms since the epoch (as `Date.now()`); `0` removes it.
   * @returns This task.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const deadline = Date.now() + 60_000;
   * assert.equal(new Task("./simulate").specifyEndTime(deadline).endTime, deadline);
   * assert.throws(() => new Task("x").specifyEndTime(Number.NaN), RangeError);
   * ```
   */
  specifyEndTime(epochMs: number): this {
    this.endTime = checkTime(epochMs, "end time");
    return this;
  }

  /**
   * Names hosts the task prefers; used with `WORK_QUEUE_SCHEDULE_PREFERRED_HOSTS`
   * (a matching worker if one is ready, else the first ready one).
   *
   * @param hosts Host names as the workers report them, or IP addresses.
   * @returns This task.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const t = new Task("./analyze").specifyPreferredHosts(["node07", "node08"]);
   * assert.deepEqual(t.preferredHosts, ["node07", "node08"]);
   * ```
   */
  specifyPreferredHosts(hosts: string[]): this {
    if (!Array.isArray(hosts) || hosts.some((h) => typeof h !== "string" || h.length === 0)) {
      throw new TypeError(
        `Cannot set preferred hosts: expected an array of non-empty strings, got ${
          JSON.stringify(hosts)
        }`,
      );
    }
    this.preferredHosts = [...hosts];
    return this;
  }

  /**
   * Puts the task in a category (chainable form of `task.category = …`):
   * tasks of a category share its resource settings and what the manager
   * learns of their use (`wq.specifyCategoryMode`; docs/resources.md).
   *
   * @param name The category; `"default"` unless set.
   * @returns This task.
   * @throws {TypeError} If the name is not a non-empty string.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const t = new Task("./align").specifyCategory("align");
   * assert.equal(t.category, "align");
   * assert.throws(() => t.specifyCategory(""), /Cannot set category: expected a non-empty name/);
   * ```
   */
  specifyCategory(name: string): this {
    if (typeof name !== "string" || name.length === 0) {
      throw new TypeError(`Cannot set category: expected a non-empty name, got '${String(name)}'`);
    }
    this.category = name;
    return this;
  }

  /**
   * Sets the tag (chainable form of `task.tag = …`).
   *
   * @param tag The tag.
   * @returns This task.
   */
  specifyTag(tag: string): this {
    this.tag = tag;
    return this;
  }

  /**
   * The task as JSON: its fields, its files (a buffer as its size), its
   * resources and `data` and, once finished, its result. `JSON.stringify`
   * calls it.
   *
   * @returns A new plain object.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const t = new Task({ command: "cat p", inputs: [{ buffer: "n=1\n", remote: "p" }], data: 7 });
   * const json = JSON.parse(JSON.stringify(t));
   * assert.deepEqual(json.inputs, [{ kind: "buffer", bytes: 4, remote: "p", cache: true }]);
   * assert.equal(json.data, 7);
   * assert.equal(json.ok, undefined); // not finished
   * ```
   */
  toJSON(): TaskJson<D> {
    return taskJson(this);
  }

  /** How `console.log` and `Deno.inspect` show it. */
  [kDenoInspect](
    inspect: (value: unknown, options?: Deno.InspectOptions) => string,
    options?: Deno.InspectOptions,
  ): string {
    return inspect(printedTask(this), options);
  }

  /** How `node:util`'s `inspect` shows it. */
  [kNodeInspect](): object {
    return printedTask(this);
  }
}
