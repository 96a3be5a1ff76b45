/**
 * `Task`: a shell command with its input and output files, its resources
 * and, once it has run, its result.
 *
 * @module
 */

import { WORK_QUEUE_SCHEDULE_UNSET } from "./constants.ts";
import { remoteNameProblem } from "./wire/protocol.ts";

/** Options shared by the file methods of {@linkcode Task}. */
export interface FileOptions {
  /**
   * Keep the file in the worker's cache so that later tasks reuse it without
   * sending it again. Default `true` for inputs, `false` for outputs.
   */
  cache?: boolean;
}

/** Options of {@linkcode Task.specifyDirectory}. */
export interface DirectoryOptions extends FileOptions {
  /** Whether the directory is an input (sent) or an output (fetched back). */
  type: "input" | "output";
  /**
   * For inputs: send the whole tree (`true`), or only create an empty
   * directory in the sandbox (`false`, the default, as in CCTools). Outputs
   * always come back whole.
   */
  recursive?: boolean;
}

/** One input of a task. */
export type InputSpec =
  | { kind: "file"; local: string; remote: string; cache: boolean }
  | { kind: "buffer"; data: Uint8Array; remote: string; cache: boolean }
  | { kind: "emptydir"; remote: string };

/** One output of a task (a file, or a directory fetched recursively). */
export interface OutputSpec {
  /** Where it lands on the manager's machine. */
  local: string;
  /** Its name in the task's sandbox. */
  remote: string;
  /** Keep it in the worker's cache after retrieval. */
  cache: boolean;
}

/** The resources a task asks for; unset fields mean "the whole worker" when none is set. */
export interface ResourceRequest {
  /** Cores. */
  cores?: number;
  /** Memory in MB. */
  memory?: number;
  /** Disk in MB. */
  disk?: number;
  /** GPUs. */
  gpus?: number;
}

/**
 * The paper's task states: `ready` (waiting for a worker), `sending`
 * (inputs on their way), `running`, `receiving` (outputs on their way back),
 * `complete` (waiting for `wait()` to return it), `returned` (handed back),
 * `cancelled`.
 */
export type TaskState =
  | "ready"
  | "sending"
  | "running"
  | "receiving"
  | "complete"
  | "returned"
  | "cancelled";

/** Internal slot through which the manager keeps a task's bookkeeping. */
export const kInternal: unique symbol = Symbol("wq.task.internal");

/**
 * What the queue records about a task's latest submission and run: the
 * fields a {@linkcode Task} shows read-only (`result`, `returnStatus`, …).
 * The manager's reactor is their one writer.
 */
export interface TaskRecord {
  /** One of the `WORK_QUEUE_RESULT_*` values, once complete. */
  result: number | undefined;
  /** The command's exit code (or the signal number that killed it), once it ran. */
  returnStatus: number | undefined;
  /** Standard output and error of the command, merged, as text. */
  output: string;
  /** Why it failed, in words, when `result` is not success. */
  failure: string | undefined;
  /** The address (`ip:port`) of the worker it was last sent to. */
  host: string | undefined;
  /** The host name that worker reported. */
  hostname: string | undefined;
  /** When it was submitted (ms on the queue's clock: since the epoch). */
  submitTime: number | undefined;
  /** When it was last sent to a worker (ms). */
  dispatchTime: number | undefined;
  /** When it completed (ms). */
  finishTime: number | undefined;
  /** The command's run time on the worker, in microseconds. */
  executionTime: number | undefined;
  /**
   * The name of the signal that killed the command (`"SIGKILL"`), when a
   * worker says so; `null` otherwise (CCTools' worker never does).
   */
  signal: string | null;
}

/**
 * A record with nothing in it yet.
 *
 * @param submitTime When the task was submitted (ms), if it was.
 * @returns A fresh record.
 */
export function emptyRecord(submitTime?: number): TaskRecord {
  return {
    result: undefined,
    returnStatus: undefined,
    output: "",
    failure: undefined,
    host: undefined,
    hostname: undefined,
    submitTime,
    dispatchTime: undefined,
    finishTime: undefined,
    executionTime: undefined,
    signal: null,
  };
}

/** Manager-side bookkeeping of a task, not part of the public API. */
export interface TaskInternal {
  state: TaskState | undefined;
  /** What the queue recorded about its submission and run. */
  record: TaskRecord;
  /** Infrastructure failures so far. */
  attempts: number;
  /** Workers (by connection id) it must not go back to: it was fast-aborted there. */
  avoid: Set<number> | undefined;
  /** Whether the manager has logged why it cannot run. */
  unfitLogged: boolean;
  /** The manager's list (ready or completed queue) the task is in, and its neighbours there. */
  list: object | undefined;
  prev: Task | undefined;
  next: Task | undefined;
}

// Shared, never-mutated defaults: a task allocates its lists only when it gets an entry.
const NO_INPUTS: readonly InputSpec[] = Object.freeze([]);
const NO_OUTPUTS: readonly OutputSpec[] = Object.freeze([]);
const NO_ENV: ReadonlyMap<string, string> = new Map();
const NO_REQUEST: Readonly<ResourceRequest> = Object.freeze({});

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const encoder = new TextEncoder();

function checkRemote(what: string, remote: string): void {
  if (typeof remote !== "string") {
    throw new TypeError(`Cannot add ${what}: remote name must be a string, got ${typeof remote}`);
  }
  const problem = remoteNameProblem(remote);
  if (problem) {
    throw new TypeError(`Cannot add ${what}: remote name '${remote}' is unsafe because ${problem}`);
  }
}

function checkLocal(what: string, local: string): void {
  if (typeof local !== "string" || local.length === 0) {
    throw new TypeError(
      `Cannot add ${what}: local name must be a non-empty string, got '${String(local)}'`,
    );
  }
  if (local.includes("\0")) {
    throw new TypeError(`Cannot add ${what}: local name '${local}' contains a NUL byte`);
  }
}

function basename(path: string): string {
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  return parts.at(-1) ?? path;
}

function checkCount(what: string, n: number): number {
  if (typeof n !== "number" || !Number.isFinite(n) || n < 0) {
    throw new RangeError(`Cannot set ${what}: it must be a non-negative number, got ${n}`);
  }
  return n;
}

/**
 * A unit of work: a shell command run in a private sandbox on a worker,
 * with the files it reads and writes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const t = new Task("gzip < data.txt > data.txt.gz");
 * t.specifyInputFile("data.txt");
 * t.specifyOutputFile("data.txt.gz");
 * t.tag = "compress";
 * assert.deepEqual(t.inputs, [
 *   { kind: "file", local: "data.txt", remote: "data.txt", cache: true },
 * ]);
 * assert.deepEqual(t.outputs, [{ local: "data.txt.gz", remote: "data.txt.gz", cache: false }]);
 * ```
 */
export class Task {
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

  #inputs: InputSpec[] | undefined;
  #outputs: OutputSpec[] | undefined;
  #env: Map<string, string> | undefined;
  #resources: ResourceRequest | undefined;
  #preferredHosts: string[] | undefined;

  /** Manager bookkeeping; not for applications. */
  [kInternal]: TaskInternal = {
    state: undefined,
    record: emptyRecord(),
    attempts: 0,
    avoid: undefined,
    unfitLogged: false,
    list: undefined,
    prev: undefined,
    next: undefined,
  };

  /**
   * @param command The shell command, run with `/bin/sh -c` in the sandbox.
   * @throws {TypeError} If the command is not a non-empty string.
   */
  constructor(command: string) {
    if (typeof command !== "string" || command.length === 0) {
      throw new TypeError(
        `Cannot create task: command must be a non-empty string, got '${String(command)}'`,
      );
    }
    this.command = command;
  }

  /** Failures caused by the infrastructure so far (lost workers, fast aborts). */
  get attempts(): number {
    return this[kInternal].attempts;
  }

  /** The task's current state, or `undefined` before it is submitted. */
  get state(): TaskState | undefined {
    return this[kInternal].state;
  }

  /** One of the `WORK_QUEUE_RESULT_*` values, once complete (read-only). */
  get result(): number | undefined {
    return this[kInternal].record.result;
  }

  /** The command's exit code (or the signal number that killed it), once it ran (read-only). */
  get returnStatus(): number | undefined {
    return this[kInternal].record.returnStatus;
  }

  /** Standard output and error of the command, merged, as text (read-only). */
  get output(): string {
    return this[kInternal].record.output;
  }

  /** Why it failed, in words, when `result` is not success (read-only). */
  get failure(): string | undefined {
    return this[kInternal].record.failure;
  }

  /** The address (`ip:port`) of the worker that ran it (read-only). */
  get host(): string | undefined {
    return this[kInternal].record.host;
  }

  /** The host name the worker reported (read-only). */
  get hostname(): string | undefined {
    return this[kInternal].record.hostname;
  }

  /** When it was submitted (ms since the epoch; read-only). */
  get submitTime(): number | undefined {
    return this[kInternal].record.submitTime;
  }

  /** When it was last sent to a worker (ms since the epoch; read-only). */
  get dispatchTime(): number | undefined {
    return this[kInternal].record.dispatchTime;
  }

  /** When it completed (ms since the epoch; read-only). */
  get finishTime(): number | undefined {
    return this[kInternal].record.finishTime;
  }

  /** The command's run time on the worker, in microseconds (read-only). */
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
    checkLocal("input file", localName);
    const remote = remoteName ?? basename(localName);
    this.#addInput({ kind: "file", local: localName, remote, cache: options.cache ?? true });
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
    if (typeof data !== "string" && !(data instanceof Uint8Array)) {
      throw new TypeError(
        `Cannot add input buffer: data must be a string or Uint8Array, got ${typeof data}`,
      );
    }
    const bytes = typeof data === "string" ? encoder.encode(data) : data.slice();
    this.#addInput({
      kind: "buffer",
      data: bytes,
      remote: remoteName,
      cache: options.cache ?? true,
    });
    return this;
  }

  /**
   * Brings a file (or directory) of the sandbox back when the task ends.
   *
   * @param localName Where it lands on the manager's machine.
   * @param remoteName Its name in the sandbox; defaults to the base name.
   * @param options `cache` (default `false`).
   * @returns This task.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const t = new Task("date > now.txt").specifyOutputFile("results/now.txt", "now.txt");
   * assert.deepEqual(t.outputs, [{ local: "results/now.txt", remote: "now.txt", cache: false }]);
   * ```
   */
  specifyOutputFile(localName: string, remoteName?: string, options: FileOptions = {}): this {
    checkLocal("output file", localName);
    const remote = remoteName ?? basename(localName);
    checkRemote("output file", remote);
    if (this.outputs.some((o) => o.remote === remote)) {
      throw new TypeError(
        `Cannot add output file: remote name '${remote}' is already an output of this task`,
      );
    }
    (this.#outputs ??= []).push({ local: localName, remote, cache: options.cache ?? false });
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
    if (options.type === "output") return this.specifyOutputFile(localName, remoteName, options);
    if (options.recursive) return this.specifyInputFile(localName, remoteName, options);
    checkLocal("directory", localName);
    this.#addInput({ kind: "emptydir", remote: remoteName ?? basename(localName) });
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
   * Sets the tag (chainable form of `task.tag = …`).
   *
   * @param tag The tag.
   * @returns This task.
   */
  specifyTag(tag: string): this {
    this.tag = tag;
    return this;
  }

  #addInput(spec: InputSpec): void {
    const what = spec.kind === "buffer"
      ? "input buffer"
      : spec.kind === "emptydir"
      ? "directory"
      : "input file";
    checkRemote(what, spec.remote);
    if (this.inputs.some((i) => i.remote === spec.remote)) {
      throw new TypeError(
        `Cannot add ${what}: remote name '${spec.remote}' is already an input of this task`,
      );
    }
    (this.#inputs ??= []).push(spec);
  }
}
