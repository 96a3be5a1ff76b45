/**
 * A task as the journal writes it, and back: every field the application
 * can give a task (command, files, buffers as base64, environment,
 * resources, tag, priority, retries, category, algorithm, preferred hosts,
 * key and `data`). `data` must be JSON; {@linkcode jsonProblem} says why not.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { type InputSpec, Task } from "../../task.ts";
import type { OutputSpec } from "../../task_files.ts";
import type { ResourceRequest } from "../../task_options.ts";

/** A task's fields as JSON (defaults left out). */
export interface TaskSpec {
  command: string;
  key?: string;
  tag?: string;
  algorithm?: number;
  priority?: number;
  category?: string;
  maxRetries?: number;
  runningTimeMax?: number;
  endTime?: number;
  /** The application's `data`, as JSON. */
  data?: unknown;
  /** Inputs; a buffer's bytes as base64 in `data`. */
  inputs?: (Exclude<InputSpec, { kind: "buffer" }> | {
    kind: "buffer";
    data: string;
    remote: string;
    cache: boolean;
  })[];
  outputs?: OutputSpec[];
  env?: [string, string][];
  resources?: ResourceRequest;
  preferredHosts?: string[];
  /** When it was first submitted (ms since the epoch). */
  submitTime?: number;
}

/**
 * Why a value cannot go into the journal as JSON and come back the same,
 * or `undefined` if it can.
 *
 * @param value The value.
 * @param at Where it is, for the message.
 * @returns The problem in words, or `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(jsonProblem({ a: [1, "x", null, true] }, "data"), undefined);
 * assert.equal(jsonProblem({ when: new Date(0) }, "data"), "data.when is a Date");
 * assert.equal(jsonProblem({ n: 1n }, "data"), "data.n is a bigint");
 * ```
 */
export function jsonProblem(
  value: unknown,
  at: string,
  seen: Set<object> = new Set(),
): string | undefined {
  switch (typeof value) {
    case "undefined": // no data, or a property left out (as JSON leaves it out)
      return undefined;
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value) ? undefined : `${at} is ${value}`;
    case "object": {
      if (value === null) return undefined;
      if (seen.has(value)) return `${at} refers back to itself`;
      const proto = Object.getPrototypeOf(value);
      const array = Array.isArray(value);
      if (!array && proto !== Object.prototype && proto !== null) {
        return `${at} is a ${value.constructor?.name ?? "non-plain object"}`;
      }
      seen.add(value);
      if (array) {
        for (let i = 0; i < value.length; i++) {
          const where = `${at}[${i}]`;
          const p = value[i] === undefined
            ? `${where} is undefined`
            : jsonProblem(value[i], where, seen);
          if (p) return p;
        }
      } else {
        for (const [k, v] of Object.entries(value)) {
          const where = /^[A-Za-z_$][\w$]*$/.test(k) ? `${at}.${k}` : `${at}[${JSON.stringify(k)}]`;
          const p = jsonProblem(v, where, seen);
          if (p) return p;
        }
      }
      seen.delete(value);
      return undefined;
    }
    default:
      return `${at} is a ${typeof value}`;
  }
}

/**
 * A task's fields as JSON.
 *
 * @param task The task.
 * @returns Its spec.
 */
export function taskSpec(task: Task): TaskSpec {
  const s: TaskSpec = { command: task.command };
  if (task.key !== undefined) s.key = task.key;
  if (task.tag !== undefined) s.tag = task.tag;
  if (task.algorithm !== 0) s.algorithm = task.algorithm;
  if (task.priority !== 0) s.priority = task.priority;
  if (task.category !== "default") s.category = task.category;
  if (task.maxRetries !== 0) s.maxRetries = task.maxRetries;
  if (task.runningTimeMax !== 0) s.runningTimeMax = task.runningTimeMax;
  if (task.endTime !== 0) s.endTime = task.endTime;
  if (task.data !== undefined) s.data = task.data;
  if (task.inputs.length > 0) {
    s.inputs = task.inputs.map((i) =>
      i.kind === "buffer"
        ? {
          ...i,
          data: Buffer.from(i.data.buffer, i.data.byteOffset, i.data.byteLength).toString("base64"),
        }
        : i
    );
  }
  if (task.outputs.length > 0) s.outputs = [...task.outputs];
  if (task.environment.size > 0) s.env = [...task.environment];
  if (Object.keys(task.resources).length > 0) s.resources = { ...task.resources };
  if (task.preferredHosts.length > 0) s.preferredHosts = [...task.preferredHosts];
  return s;
}

/**
 * A task made again from its spec, through the same methods an application
 * uses, so that it passes the same checks.
 *
 * @param s The spec.
 * @returns A new task (not submitted).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Task } from "../../task.ts";
 * const t = new Task({ command: "cat p > q", inputs: [{ buffer: "x", remote: "p" }],
 *   outputs: [{ local: "/tmp/q" }], cores: 2, tag: "a", key: "k1", data: { n: 1 } });
 * const u = taskFromSpec(JSON.parse(JSON.stringify(taskSpec(t))));
 * assert.deepEqual(u.toJSON(), t.toJSON());
 * assert.equal(u.key, "k1");
 * ```
 */
export function taskFromSpec(s: TaskSpec): Task {
  const t = new Task(s.command);
  if (s.key !== undefined) t.key = s.key;
  t.tag = s.tag;
  if (s.algorithm !== undefined) t.algorithm = s.algorithm;
  if (s.priority !== undefined) t.priority = s.priority;
  if (s.category !== undefined) t.category = s.category;
  if (s.maxRetries !== undefined) t.specifyMaxRetries(s.maxRetries);
  if (s.runningTimeMax !== undefined) t.specifyRunningTimeMax(s.runningTimeMax);
  if (s.endTime !== undefined) t.specifyEndTime(s.endTime);
  if ("data" in s) t.data = s.data;
  for (const i of s.inputs ?? []) {
    switch (i.kind) {
      case "file":
        t.specifyInputFile(i.local, i.remote, { cache: i.cache });
        break;
      case "buffer":
        t.specifyInputBuffer(new Uint8Array(Buffer.from(i.data, "base64")), i.remote, {
          cache: i.cache,
        });
        break;
      case "emptydir":
        t.specifyDirectory(i.remote, i.remote, { type: "input" });
        break;
      case "url":
        t.specifyUrl(i.url, i.remote, { cache: i.cache });
        break;
      case "command":
        t.specifyFileCommand(i.command, i.remote, { cache: i.cache });
        break;
    }
  }
  for (const o of s.outputs ?? []) {
    t.specifyOutputFile(o.local, o.remote, { cache: o.cache, watch: o.watch });
  }
  for (const [k, v] of s.env ?? []) t.specifyEnvironmentVariable(k, v);
  const r = s.resources ?? {};
  if (r.cores !== undefined) t.specifyCores(r.cores);
  if (r.memory !== undefined) t.specifyMemory(r.memory);
  if (r.disk !== undefined) t.specifyDisk(r.disk);
  if (r.gpus !== undefined) t.specifyGpus(r.gpus);
  if (s.preferredHosts) t.specifyPreferredHosts(s.preferredHosts);
  return t;
}
