/**
 * One JSON task of a task file: its fields checked one by one and turned
 * into the options of `new Task({...})`, which maps them onto the task.
 *
 * @module
 */

import { isAbsolute, join, normalize } from "node:path";
import { Task, type TaskInput, type TaskOutput } from "../../mod.ts";

/** What a JSON task is read against. */
export interface TaskJsonOptions {
  /** The absolute directory that relative local paths resolve against. */
  dir: string;
  /** `maxRetries` of a task that sets none; default the library's (0: retry forever). */
  maxRetries?: number;
}

/** The fields of a JSON task, in the order the messages list them. */
export const TASK_FIELDS: readonly string[] = [
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
];

type Json = Record<string, unknown>;

/** A value as it appears in a message: JSON, cut short. */
function shown(value: unknown): string {
  const text = value === undefined ? "nothing" : JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function problem(what: string): TypeError {
  return new TypeError(`Cannot read task: ${what}`);
}

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkKeys(obj: Json, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      throw problem(`${where}unknown field '${key}' (fields: ${allowed.join(", ")})`);
    }
  }
}

function text(obj: Json, key: string, where: string): string | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v.length === 0) {
    throw problem(`${where}'${key}' must be a non-empty string, got ${shown(v)}`);
  }
  return v;
}

function flag(obj: Json, key: string, where: string): boolean | undefined {
  const v = obj[key];
  if (v === undefined || typeof v === "boolean") return v;
  throw problem(`${where}'${key}' must be true or false, got ${shown(v)}`);
}

function whole(obj: Json, key: string, min: number): number | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    const kind = min > 0 ? "a positive whole number" : "a whole number, 0 or more";
    throw new RangeError(`Cannot read task: '${key}' must be ${kind}, got ${shown(v)}`);
  }
  return v;
}

function local(dir: string, path: string): string {
  return isAbsolute(path) ? normalize(path) : join(dir, path);
}

const INPUT_FIELDS = [
  "local",
  "buffer",
  "directory",
  "url",
  "command",
  "remote",
  "cache",
  "recursive",
];
const OUTPUT_FIELDS = ["local", "directory", "remote", "cache"];

/** The input or output an item of `inputs` or `outputs` is: checked, with its kind. */
function item(
  value: unknown,
  options: { where: string; fields: string[]; kinds: string[]; example: string },
): { obj: Json; kind: string; path: string | undefined; remote: string | undefined } {
  const { where } = options;
  const obj = typeof value === "string" ? { local: value } : value;
  if (!isObject(obj)) {
    throw problem(
      `${where}must be a path or an object such as ${options.example}, got ${shown(value)}`,
    );
  }
  checkKeys(obj, options.fields, where);
  const present = options.kinds.filter((k) => obj[k] !== undefined);
  if (present.length !== 1) {
    const names = options.kinds.map((k) => `'${k}'`);
    const got = present.length === 0 ? "none" : present.map((k) => `'${k}'`).join(" and ");
    throw problem(
      `${where}needs exactly one of ${names.slice(0, -1).join(", ")} or ${
        names.at(-1)
      }, got ${got}`,
    );
  }
  const kind = present[0];
  if (obj.recursive !== undefined && kind !== "directory") {
    throw problem(`${where}'recursive' goes only with 'directory'`);
  }
  // A buffer's text is checked as data; a URL's or command's as text, not as a path.
  const path = kind === "buffer" ? undefined : text(obj, kind, where);
  return { obj, kind, path, remote: text(obj, "remote", where) };
}

function input(value: unknown, where: string, dir: string): TaskInput {
  const { obj, kind, path, remote } = item(value, {
    where,
    fields: INPUT_FIELDS,
    kinds: ["local", "buffer", "directory", "url", "command"],
    example: `{"local": "data.txt"}`,
  });
  const cache = flag(obj, "cache", where);
  if (kind === "url" || kind === "command") {
    if (remote === undefined) throw problem(`${where}a '${kind}' needs a 'remote' name`);
    return kind === "url" ? { url: path!, remote, cache } : { command: path!, remote, cache };
  }
  if (kind === "buffer") {
    if (typeof obj.buffer !== "string") {
      throw problem(`${where}'buffer' must be a string, got ${shown(obj.buffer)}`);
    }
    if (remote === undefined) throw problem(`${where}a 'buffer' needs a 'remote' name`);
    return { buffer: obj.buffer, remote, cache };
  }
  if (kind === "directory") {
    const recursive = flag(obj, "recursive", where);
    return { directory: local(dir, path!), remote, cache, recursive };
  }
  return { local: local(dir, path!), remote, cache };
}

function output(value: unknown, where: string, dir: string): TaskOutput {
  const { obj, kind, path, remote } = item(value, {
    where,
    fields: OUTPUT_FIELDS,
    kinds: ["local", "directory"],
    example: `{"local": "out.txt"}`,
  });
  const cache = flag(obj, "cache", where);
  if (kind === "directory") return { directory: local(dir, path!), remote, cache };
  return { local: local(dir, path!), remote, cache };
}

function list(obj: Json, key: string): unknown[] {
  const v = obj[key];
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw problem(`'${key}' must be a list [...], got ${shown(v)}`);
  return v;
}

/**
 * Makes the task a JSON task describes, with `new Task({...})`: the JSON
 * object is its options, checked field by field first. Relative local paths
 * resolve against `options.dir`; an input or output given as a string is
 * `{"local": it}`; a remote name defaults to the base name of the local
 * path; and an input directory is sent whole unless `"recursive": false`
 * (then only an empty directory is made), as in `new Task({...})`.
 *
 * @param value The parsed JSON object.
 * @param options The directory of the task file and the default `maxRetries`.
 * @returns The task, not yet submitted.
 * @throws {TypeError} For a missing, unknown or mistyped field, or an unsafe or repeated name.
 * @throws {RangeError} For a resource, priority or retry count out of range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { taskFromJson } from "./task_json.ts";
 *
 * const t = taskFromJson({
 *   command: "sort in.txt > out.txt",
 *   inputs: ["in.txt", { buffer: "n=3\n", remote: "params" }],
 *   outputs: [{ local: "results/out.txt", remote: "out.txt" }],
 *   cores: 1,
 * }, { dir: "/data" });
 * assert.equal(t.inputs[0].kind === "file" && t.inputs[0].local, "/data/in.txt");
 * assert.deepEqual(t.outputs, [{ local: "/data/results/out.txt", remote: "out.txt", cache: false }]);
 * assert.deepEqual(t.resources, { cores: 1 });
 * assert.throws(() => taskFromJson({ command: "x", cores: "x" }, { dir: "/" }), {
 *   message: `Cannot read task: 'cores' must be a positive whole number, got "x"`,
 * });
 * ```
 */
export function taskFromJson(value: Json, options: TaskJsonOptions): Task {
  checkKeys(value, TASK_FIELDS, "");
  if (value.command === undefined) throw problem("'command' is missing");
  const command = text(value, "command", "")!;
  const inputs = list(value, "inputs").map((v, i) => input(v, `input ${i + 1}: `, options.dir));
  const outputs = list(value, "outputs").map((v, i) => output(v, `output ${i + 1}: `, options.dir));
  let env: Record<string, string> | undefined;
  if (value.env !== undefined) {
    if (!isObject(value.env)) {
      throw problem(`'env' must be an object such as {"NAME": "value"}, got ${shown(value.env)}`);
    }
    env = {};
    for (const [name, v] of Object.entries(value.env)) {
      if (typeof v !== "string" && !(typeof v === "number" && Number.isFinite(v))) {
        throw problem(`'env' value of '${name}' must be a string or a number, got ${shown(v)}`);
      }
      env[name] = String(v);
    }
  }
  if (value.tag !== undefined && typeof value.tag !== "string") {
    throw problem(`'tag' must be a string, got ${shown(value.tag)}`);
  }
  if (
    value.priority !== undefined &&
    (typeof value.priority !== "number" || !Number.isFinite(value.priority))
  ) {
    throw new RangeError(
      `Cannot read task: 'priority' must be a number, got ${shown(value.priority)}`,
    );
  }
  return new Task({
    command,
    inputs,
    outputs,
    env,
    cores: whole(value, "cores", 1),
    memory: whole(value, "memory", 1),
    disk: whole(value, "disk", 1),
    gpus: whole(value, "gpus", 0),
    tag: value.tag as string | undefined,
    priority: value.priority as number | undefined,
    maxRetries: whole(value, "maxRetries", 0) ?? options.maxRetries,
  });
}
