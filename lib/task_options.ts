/**
 * `new Task({...})`: the options object, its checks, and how it maps onto
 * the `specify*` methods, so that a task made either way is the same.
 *
 * @module
 */

import type {
  DirectoryOptions,
  FileOptions,
  OutputFileOptions,
  TaskInput,
  TaskOutput,
} from "./task_files.ts";

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
 * What `new Task({...})` takes: the command, its files, its resources and
 * the application's own `data`. Every field but `command` is optional.
 */
export interface TaskOptions<D = unknown> {
  /** The shell command, run with `/bin/sh -c` in the task's sandbox. */
  command: string;
  /**
   * Files for the sandbox: `{ local }`, `{ buffer, remote }` or `{ directory }`
   * (sent), `{ url, remote }` or `{ command, remote }` (made on the worker).
   */
  inputs?: readonly TaskInput[];
  /** Files brought back when the task ends: `{ local }` (`watch: true` streams it while the task runs) or `{ directory }`. */
  outputs?: readonly TaskOutput[];
  /** Environment variables for the command. */
  env?: Readonly<Record<string, string>>;
  /** Cores; a task that asks for no resource takes a whole worker. */
  cores?: number;
  /** Memory in MB. */
  memory?: number;
  /** Disk in MB. */
  disk?: number;
  /** GPUs. */
  gpus?: number;
  /** A free label, used by `cancelByTag`. */
  tag?: string;
  /** Higher runs first (default 0). */
  priority?: number;
  /** Infrastructure failures the task survives; `0`, the default, retries forever. */
  maxRetries?: number;
  /** The longest the command may run on a worker, in seconds (`specifyRunningTimeMax`). */
  runningTimeMax?: number;
  /** When it must be done by, in ms since the epoch (`specifyEndTime`). */
  endTime?: number;
  /** The category name sent to workers (default `"default"`). */
  category?: string;
  /** Host names or addresses it prefers, for `WORK_QUEUE_SCHEDULE_PREFERRED_HOSTS`. */
  preferredHosts?: readonly string[];
  /** Any value of the application's, kept on the task untouched (not copied). */
  data?: D;
  /** The application's name for this submission: with a journal, a known key is not queued twice. */
  key?: string;
}

/** The names of the options, in the order they are checked. */
const OPTION_NAMES: readonly string[] = [
  "command",
  "inputs",
  "outputs",
  "env",
  "cores",
  "memory",
  "disk",
  "gpus",
  "tag",
  "priority",
  "maxRetries",
  "runningTimeMax",
  "endTime",
  "category",
  "preferredHosts",
  "data",
  "key",
];

/** What the options are applied to: the `specify*` methods and fields of a task. */
export interface TaskSetters<D> {
  tag: string | undefined;
  key: string | undefined;
  priority: number;
  category: string;
  data: D;
  specifyInputFile(localName: string, remoteName?: string, options?: FileOptions): unknown;
  specifyInputBuffer(data: string | Uint8Array, remoteName: string, options?: FileOptions): unknown;
  specifyUrl(url: string, remoteName: string, options?: FileOptions): unknown;
  specifyFileCommand(command: string, remoteName: string, options?: FileOptions): unknown;
  specifyOutputFile(localName: string, remoteName?: string, options?: OutputFileOptions): unknown;
  specifyDirectory(
    localName: string,
    remoteName: string | undefined,
    options: DirectoryOptions,
  ): unknown;
  specifyEnvironmentVariable(name: string, value: string): unknown;
  specifyCores(cores: number): unknown;
  specifyMemory(mb: number): unknown;
  specifyDisk(mb: number): unknown;
  specifyGpus(gpus: number): unknown;
  specifyMaxRetries(n: number): unknown;
  specifyRunningTimeMax(seconds: number): unknown;
  specifyEndTime(epochMs: number): unknown;
  specifyPreferredHosts(hosts: string[]): unknown;
}

type Json = Record<string, unknown>;

/** A value as a message shows it: a string quoted, anything else as inspect prints it, cut short. */
function shown(value: unknown): string {
  if (typeof value === "string") return `'${value}'`;
  const text = Deno.inspect(value, { colors: false, depth: 2, breakLength: Infinity });
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function bad(field: string, what: string, value: unknown): TypeError {
  return new TypeError(`Cannot create task: '${field}' must be ${what}, got ${shown(value)}`);
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkCommand(command: unknown): asserts command is string {
  if (typeof command !== "string" || command.length === 0) {
    throw bad("command", "a non-empty string", command);
  }
}

/** A resource: a finite number >= 0, as `specifyCores` and the others accept. */
function checkCount(field: string, value: unknown): void {
  if (value === undefined) return;
  if (typeof value !== "number") throw bad(field, "a number", value);
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `Cannot create task: '${field}' must be a non-negative number, got ${value}`,
    );
  }
}

function checkString(field: string, value: unknown): void {
  if (value !== undefined && typeof value !== "string") throw bad(field, "a string", value);
}

/** Checks one item of `inputs` or `outputs`: exactly one kind, and only known fields. */
function checkItem(field: string, value: unknown, kinds: string[], fields: string[]): void {
  const names = kinds.map((k) => `'${k}'`);
  const oneOf = `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`;
  if (!isObject(value)) throw bad(field, `an object with ${oneOf}`, value);
  for (const key of Object.keys(value)) {
    if (!fields.includes(key)) {
      throw new TypeError(
        `Cannot create task: '${field}' has an unknown field '${key}' (fields: ${
          fields.join(", ")
        })`,
      );
    }
  }
  const present = kinds.filter((k) => value[k] !== undefined);
  if (present.length !== 1) {
    const got = present.length === 0 ? "none" : present.map((k) => `'${k}'`).join(" and ");
    throw new TypeError(`Cannot create task: '${field}' needs exactly one of ${oneOf}, got ${got}`);
  }
  if (value.recursive !== undefined && present[0] !== "directory") {
    throw new TypeError(
      `Cannot create task: '${field}' has 'recursive', which goes only with 'directory'`,
    );
  }
  if (value.watch !== undefined && present[0] !== "local") {
    throw new TypeError(
      `Cannot create task: '${field}' has 'watch', which goes only with 'local'`,
    );
  }
  for (const key of ["cache", "recursive", "watch"]) {
    if (value[key] !== undefined && typeof value[key] !== "boolean") {
      throw bad(`${field}.${key}`, "true or false", value[key]);
    }
  }
}

/** The kinds of an item of `inputs`. */
const INPUT_KINDS = ["local", "buffer", "directory", "url", "command"];

function list(field: string, value: unknown): readonly unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw bad(field, "an array", value);
  return value;
}

/**
 * Checks the options of `new Task({...})` and applies them to a new task
 * through its `specify*` methods, in the order of {@linkcode TaskOptions}:
 * the errors are those of the methods for files and variables, and name the
 * option otherwise.
 *
 * @param task The task being made (its command already set).
 * @param options The options.
 * @throws {TypeError} For an unknown option or one of the wrong type, an
 * input or output that is not exactly one kind, or a bad name.
 * @throws {RangeError} For a resource, priority or retry count out of range.
 */
export function applyTaskOptions<D>(task: TaskSetters<D>, options: TaskOptions<D>): void {
  const o = options as unknown as Json;
  for (const key of Object.keys(o)) {
    if (!OPTION_NAMES.includes(key)) {
      throw new TypeError(
        `Cannot create task: unknown option '${key}' (options: ${OPTION_NAMES.join(", ")})`,
      );
    }
  }
  for (const [i, item] of list("inputs", o.inputs).entries()) {
    const field = `inputs[${i}]`;
    checkItem(field, item, INPUT_KINDS, [...INPUT_KINDS, "remote", "cache", "recursive"]);
    const input = item as TaskInput;
    const cache = { cache: input.cache };
    if (input.buffer !== undefined) {
      task.specifyInputBuffer(input.buffer, input.remote, cache);
    } else if (input.url !== undefined) {
      task.specifyUrl(input.url, input.remote, cache);
    } else if (input.command !== undefined) {
      task.specifyFileCommand(input.command, input.remote, cache);
    } else if (input.directory !== undefined) {
      const recursive = input.recursive ?? true;
      task.specifyDirectory(input.directory, input.remote, { type: "input", recursive, ...cache });
    } else task.specifyInputFile(input.local, input.remote, cache);
  }
  for (const [i, item] of list("outputs", o.outputs).entries()) {
    const field = `outputs[${i}]`;
    checkItem(field, item, ["local", "directory"], [
      "local",
      "directory",
      "remote",
      "cache",
      "watch",
    ]);
    const output = item as TaskOutput;
    if (output.directory !== undefined) {
      task.specifyDirectory(output.directory, output.remote, {
        type: "output",
        cache: output.cache,
      });
    } else {
      task.specifyOutputFile(output.local, output.remote, {
        cache: output.cache,
        watch: output.watch,
      });
    }
  }
  if (o.env !== undefined) {
    if (!isObject(o.env)) throw bad("env", `an object such as { NAME: "value" }`, o.env);
    for (const [name, value] of Object.entries(o.env)) {
      task.specifyEnvironmentVariable(name, value as string);
    }
  }
  for (const r of ["cores", "memory", "disk", "gpus"]) checkCount(r, o[r]);
  if (o.cores !== undefined) task.specifyCores(o.cores as number);
  if (o.memory !== undefined) task.specifyMemory(o.memory as number);
  if (o.disk !== undefined) task.specifyDisk(o.disk as number);
  if (o.gpus !== undefined) task.specifyGpus(o.gpus as number);
  checkString("tag", o.tag);
  if (o.tag !== undefined) task.tag = o.tag as string;
  if (o.priority !== undefined) {
    if (typeof o.priority !== "number") throw bad("priority", "a number", o.priority);
    if (!Number.isFinite(o.priority)) {
      throw new RangeError(
        `Cannot create task: 'priority' must be a finite number, got ${o.priority}`,
      );
    }
    task.priority = o.priority;
  }
  if (o.maxRetries !== undefined) {
    if (typeof o.maxRetries !== "number") throw bad("maxRetries", "a number", o.maxRetries);
    if (!Number.isInteger(o.maxRetries) || o.maxRetries < 0) {
      throw new RangeError(
        `Cannot create task: 'maxRetries' must be a whole number >= 0, got ${o.maxRetries}`,
      );
    }
    task.specifyMaxRetries(o.maxRetries);
  }
  for (const name of ["runningTimeMax", "endTime"] as const) {
    const v = o[name];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      throw new RangeError(
        `Cannot create task: '${name}' must be a finite number >= 0, got ${String(v)}`,
      );
    }
    if (name === "runningTimeMax") task.specifyRunningTimeMax(v);
    else task.specifyEndTime(v);
  }
  checkString("category", o.category);
  if (o.category !== undefined) task.category = o.category as string;
  if (o.preferredHosts !== undefined) {
    const hosts = o.preferredHosts;
    if (!Array.isArray(hosts) || hosts.some((h) => typeof h !== "string" || h.length === 0)) {
      throw bad("preferredHosts", "an array of non-empty strings", hosts);
    }
    task.specifyPreferredHosts(hosts);
  }
  checkString("key", o.key);
  if (o.key !== undefined) task.key = o.key as string;
  task.data = options.data as D;
}

/**
 * Checks the command of `new Task(command)` or `new Task({ command })`.
 *
 * @param arg The constructor's argument.
 * @returns The command.
 * @throws {TypeError} If it is not a non-empty string, or an options object with one.
 */
export function commandOf(arg: unknown): string {
  if (isObject(arg)) {
    checkCommand(arg.command);
    return arg.command;
  }
  if (typeof arg !== "string" || arg.length === 0) {
    throw new TypeError(
      `Cannot create task: command must be a non-empty string, got '${String(arg)}'`,
    );
  }
  return arg;
}
