/**
 * `Task`: a shell command with its input and output files, its resources,
 * the application's own data and, once it has run, its result.
 *
 * @module
 */

import { WORK_QUEUE_RESULT_UNKNOWN, WORK_QUEUE_SCHEDULE_UNSET } from "./constants.ts";
import {
  addInput,
  addOutput,
  type DirectoryOptions,
  emptyDirectory,
  type FileOptions,
  inputBuffer,
  inputCommand,
  inputFile,
  type InputSpec,
  inputUrl,
  outputFile,
  type OutputFileOptions,
  type OutputSpec,
} from "./task_files.ts";
import {
  applyTaskOptions,
  commandOf,
  type ResourceRequest,
  type TaskOptions,
} from "./task_options.ts";
import {
  emptyRecord,
  exitCodeOf,
  isFinished,
  okOf,
  type Outcome,
  outcomeOf,
  type TaskState,
} from "./task_result.ts";
import { kInternal, type TaskInternal } from "./task_internal.ts";
import type { Measured } from "./measured.ts";
import { kDenoInspect, kNodeInspect, printedTask, type TaskJson, taskJson } from "./task_view.ts";

// What the manager imports from here (it reaches the task_*.ts modules through this one).
export type { InputSpec } from "./task_files.ts";
export { emptyRecord, type TaskRecord, type TaskState } from "./task_result.ts";
export { kInternal } from "./task_internal.ts";

// Shared, never-mutated defaults: a task allocates its lists only when it gets an entry.
const NO_INPUTS: readonly InputSpec[] = Object.freeze([]);
const NO_OUTPUTS: readonly OutputSpec[] = Object.freeze([]);
const NO_ENV: ReadonlyMap<string, string> = new Map();
const NO_REQUEST: Readonly<ResourceRequest> = Object.freeze({});

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkCount(what: string, n: number): number {
  if (typeof n !== "number" || !Number.isFinite(n) || n < 0) {
    throw new RangeError(`Cannot set ${what}: it must be a non-negative number, got ${n}`);
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
export class Task<D = unknown> {
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
  /** The application's own value, kept untouched (not copied); the queue never reads it. */
  data: D = undefined as D;
  /**
   * The application's name for this submission, for a queue with a journal:
   * submitting a new task whose key the journal knows queues nothing and
   * returns the known task's id (docs/journal.md).
   */
  key: string | undefined;

  #inputs: InputSpec[] | undefined;
  #outputs: OutputSpec[] | undefined;
  #env: Map<string, string> | undefined;
  #resources: ResourceRequest | undefined;
  #preferredHosts: string[] | undefined;

  /** Manager bookkeeping; not for applications. */
  [kInternal]: TaskInternal<Task> = {
    state: undefined,
    record: emptyRecord(),
    attempts: 0,
    label: "first",
    sizedAs: undefined,
    avoid: undefined,
    unfitLogged: false,
    countedAs: undefined,
    countedIn: undefined,
    madeLosses: 0,
    list: undefined,
    prev: undefined,
    next: undefined,
  };

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
    this.command = commandOf(arg);
    if (typeof arg === "object") applyTaskOptions(this, arg);
  }

  /** Failures caused by the infrastructure so far (lost workers, fast aborts). */
  get attempts(): number {
    return this[kInternal].attempts;
  }

  /** The task's current state, or `undefined` before it is submitted. */
  get state(): TaskState | undefined {
    return this[kInternal].state;
  }

  /**
   * Whether it succeeded: it ran, every output came back, and the command
   * exited with 0. Once finished (else `undefined`), like the getters below.
   */
  get ok(): boolean | undefined {
    return okOf(this[kInternal].record);
  }

  /** How it ended, in words (an {@linkcode Outcome}). */
  get outcome(): Outcome | undefined {
    return outcomeOf(this[kInternal].record);
  }

  /** The command's exit code; `null` if it never ran or did not exit on its own (a signal). */
  get exitCode(): number | null | undefined {
    return exitCodeOf(this[kInternal].record);
  }

  /** The name of the signal that killed the command (`"SIGKILL"`), or `null`. */
  get signal(): string | null | undefined {
    const r = this[kInternal].record;
    return isFinished(r) ? r.signal : undefined;
  }

  /**
   * What the command used, as its worker measured it: peak memory and
   * disk (MB), CPU and wall time (s), cores, and how it was measured.
   * CCTools' workers report only the wall time. `null` once finished if it
   * never ran.
   */
  get measured(): Measured | null | undefined {
    const r = this[kInternal].record;
    return isFinished(r) ? r.measured ?? null : undefined;
  }

  /** When it was submitted (ms since the epoch). */
  get submittedAt(): number | undefined {
    return this[kInternal].record.submitTime;
  }

  /** When it was last sent to a worker (ms since the epoch); `null` if it never was. */
  get dispatchedAt(): number | null | undefined {
    const r = this[kInternal].record;
    return r.dispatchTime ?? (isFinished(r) ? null : undefined);
  }

  /** When it completed or was cancelled (ms since the epoch). */
  get finishedAt(): number | undefined {
    return this[kInternal].record.finishTime;
  }

  /** How long the command ran on its worker (ms); `null` if it never ran. */
  get runMs(): number | null | undefined {
    const r = this[kInternal].record;
    if (r.executionTime !== undefined) return r.executionTime / 1000;
    return isFinished(r) ? null : undefined;
  }

  /** A `WORK_QUEUE_RESULT_*` value, once finished (`UNKNOWN` for a cancelled task). */
  get result(): number | undefined {
    const r = this[kInternal].record;
    return r.result ?? (r.cancelled ? WORK_QUEUE_RESULT_UNKNOWN : undefined);
  }

  /**
   * CCTools' return status: the exit code of the task's shell, or the number
   * of the signal that killed it; `-1` once finished if it never ran.
   */
  get returnStatus(): number | undefined {
    const r = this[kInternal].record;
    return r.returnStatus ?? (isFinished(r) ? -1 : undefined);
  }

  /** Standard output and error of the command, merged, as text. */
  get output(): string {
    return this[kInternal].record.output;
  }

  /** Why it failed, in words; `null` once finished if nothing did. */
  get failure(): string | null | undefined {
    const r = this[kInternal].record;
    return r.failure ?? (isFinished(r) ? null : undefined);
  }

  /** The address (`ip:port`) of the worker it was last sent to; `null` once finished if none. */
  get host(): string | null | undefined {
    const r = this[kInternal].record;
    return r.host ?? (isFinished(r) ? null : undefined);
  }

  /** The host name that worker reported; `null` once finished if none. */
  get hostname(): string | null | undefined {
    const r = this[kInternal].record;
    return r.hostname ?? (isFinished(r) ? null : undefined);
  }

  /** CCTools' submit time: ms since the epoch. */
  get submitTime(): number | undefined {
    return this[kInternal].record.submitTime;
  }

  /** CCTools' dispatch time: ms since the epoch, of the last dispatch. */
  get dispatchTime(): number | undefined {
    return this[kInternal].record.dispatchTime;
  }

  /** CCTools' finish time: ms since the epoch. */
  get finishTime(): number | undefined {
    return this[kInternal].record.finishTime;
  }

  /** CCTools' execution time: the command's run time on the worker, in microseconds. */
  get executionTime(): number | undefined {
    return this[kInternal].record.executionTime;
  }

  /** Host names (or addresses) it prefers, for `WORK_QUEUE_SCHEDULE_PREFERRED_HOSTS`. */
  get preferredHosts(): string[] {
    return this.#preferredHosts ??= [];
  }

  set preferredHosts(hosts: string[]) {
    this.#preferredHosts = hosts;
  }

  /** The inputs, in declaration order. */
  get inputs(): readonly InputSpec[] {
    return this.#inputs ?? NO_INPUTS;
  }

  /** The outputs, in declaration order. */
  get outputs(): readonly OutputSpec[] {
    return this.#outputs ?? NO_OUTPUTS;
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
   * Sends a local file (or directory tree) to the sandbox.
   *
   * @param localName The path on the manager's machine.
   * @param remoteName Its name in the sandbox; defaults to the base name.
   * @param options `cache` (default `true`).
   * @returns This task.
   * @throws {TypeError} If a name is unsafe or the remote name is taken.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const t = new Task("wc -l < in.txt");
   * t.specifyInputFile("/data/in.txt", "in.txt", { cache: false });
   * assert.deepEqual(t.inputs, [
   *   { kind: "file", local: "/data/in.txt", remote: "in.txt", cache: false },
   * ]);
   * assert.throws(() => t.specifyInputFile("/data/other.txt", "in.txt"), TypeError); // name taken
   * ```
   */
  specifyInputFile(localName: string, remoteName?: string, options: FileOptions = {}): this {
    const spec = inputFile(localName, { remote: remoteName, cache: options.cache });
    this.#inputs = addInput(this.#inputs, spec);
    return this;
  }

  /**
   * Writes literal data into a file of the sandbox.
   *
   * @param data The contents.
   * @param remoteName Its name in the sandbox.
   * @param options `cache` (default `true`: identical buffers are sent once per worker).
   * @returns This task.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const t = new Task("cat params.txt").specifyInputBuffer("steps=100\n", "params.txt");
   * const data = new TextEncoder().encode("steps=100\n");
   * assert.deepEqual(t.inputs, [{ kind: "buffer", data, remote: "params.txt", cache: true }]);
   * ```
   */
  specifyInputBuffer(
    data: string | Uint8Array,
    remoteName: string,
    options: FileOptions = {},
  ): this {
    const spec = inputBuffer(data, { remote: remoteName, cache: options.cache });
    this.#inputs = addInput(this.#inputs, spec);
    return this;
  }

  /**
   * An input the worker fetches from a URL itself, streaming it to disk.
   * A fetch that fails (transport error, HTTP error status) fails the task
   * with `INPUT_MISSING`, naming the URL and the reason.
   *
   * @param url The URL.
   * @param remoteName Its name in the sandbox.
   * @param options `cache` (default `true`: fetched once per worker).
   * @returns This task.
   * @throws {TypeError} If the URL is empty or not one line, or a name is unsafe or taken.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const t = new Task("wc -l < data.csv").specifyUrl("https://example.org/data.csv", "data.csv");
   * assert.deepEqual(t.inputs, [
   *   { kind: "url", url: "https://example.org/data.csv", remote: "data.csv", cache: true },
   * ]);
   * ```
   */
  specifyUrl(url: string, remoteName: string, options: FileOptions = {}): this {
    this.#inputs = addInput(this.#inputs, inputUrl(url, { remote: remoteName, ...options }));
    return this;
  }

  /**
   * An input the worker makes by running a shell command, in which `%%`
   * stands for the path of the file to create. A command that fails or
   * creates nothing fails the task with `INPUT_MISSING`, naming the command.
   *
   * @param command The command; it must contain `%%`.
   * @param remoteName Its name in the sandbox.
   * @param options `cache` (default `true`: made once per worker).
   * @returns This task.
   * @throws {TypeError} If the command has no `%%` or a line break, or a name is unsafe or taken.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const t = new Task("cat seq.txt").specifyFileCommand("seq 1 10 > %%", "seq.txt");
   * assert.equal(t.inputs[0].kind, "command");
   * assert.throws(() => t.specifyFileCommand("seq 1 10", "other.txt"), TypeError);
   * ```
   */
  specifyFileCommand(command: string, remoteName: string, options: FileOptions = {}): this {
    const spec = inputCommand(command, { remote: remoteName, ...options });
    this.#inputs = addInput(this.#inputs, spec);
    return this;
  }

  /**
   * Brings a file (or directory) of the sandbox back when the task ends.
   *
   * @param localName Where it lands on the manager's machine.
   * @param remoteName Its name in the sandbox; defaults to the base name.
   * @param options `cache` (default `false`); `watch` (default `false`):
   * append to the local file while the task runs.
   * @returns This task.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const t = new Task("date > now.txt").specifyOutputFile("results/now.txt", "now.txt");
   * assert.deepEqual(t.outputs, [{ local: "results/now.txt", remote: "now.txt", cache: false }]);
   * const u = new Task("make 2>&1 | tee build.log").specifyOutputFile("build.log", undefined, {
   *   watch: true,
   * });
   * assert.deepEqual(u.outputs, [
   *   { local: "build.log", remote: "build.log", cache: false, watch: true },
   * ]);
   * ```
   */
  specifyOutputFile(
    localName: string,
    remoteName?: string,
    options: OutputFileOptions = {},
  ): this {
    const spec = outputFile(localName, {
      remote: remoteName,
      cache: options.cache,
      watch: options.watch,
    });
    this.#outputs = addOutput(this.#outputs, spec);
    return this;
  }

  /**
   * Declares a directory: an input (its tree when `recursive`, else an empty
   * directory) or an output fetched back whole.
   *
   * @param localName The path on the manager's machine.
   * @param remoteName Its name in the sandbox; defaults to the base name.
   * @param options `type`, `recursive`, `cache`.
   * @returns This task.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const t = new Task("ls inputs > listing; mkdir out")
   *   .specifyDirectory("inputs", "inputs", { type: "input", recursive: true })
   *   .specifyDirectory("out", "out", { type: "output" });
   * assert.deepEqual(t.inputs, [{ kind: "file", local: "inputs", remote: "inputs", cache: true }]);
   * assert.deepEqual(t.outputs, [{ local: "out", remote: "out", cache: false }]);
   * ```
   */
  specifyDirectory(
    localName: string,
    remoteName: string | undefined,
    options: DirectoryOptions,
  ): this {
    if (options?.type !== "input" && options?.type !== "output") {
      throw new TypeError(
        `Cannot add directory: type must be 'input' or 'output', got '${options?.type}'`,
      );
    }
    if (options.type === "output") {
      return this.specifyOutputFile(localName, remoteName, { cache: options.cache });
    }
    if (options.recursive) return this.specifyInputFile(localName, remoteName, options);
    this.#inputs = addInput(this.#inputs, emptyDirectory(localName, { remote: remoteName }));
    return this;
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
