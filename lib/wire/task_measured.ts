/**
 * `info task-measured`: our worker's report of what a task used, and of the
 * limit it went over if it was stopped. Like `info task-signal`, it goes
 * just before the task's `result` line (after its `info task-signal`, if
 * any), in a `send_results` reply or pushed on the fast path. CCTools'
 * managers ignore an `info` field they do not know (spec §3; protocol-11
 * spec §4.3).
 *
 * ```
 * info task-measured <taskid> method=<cgroup|proc> [memory=<MB>] [disk=<MB>]
 *     [cpu=<seconds>] [wall=<seconds>] [cores=<n>]
 *     [exhausted=<memory|disk> limit=<MB> peak=<MB>]
 * ```
 *
 * All on one line. Numbers are non-negative decimals. A key this code does
 * not know is skipped, so later versions may add some; a malformed line is
 * never an error (the caller keeps it as a plain `info` line).
 *
 * @module
 */

import {
  ENFORCED_RESOURCES,
  type EnforcedResource,
  type Exhaustion,
  type Measured,
  type MeasureMethod,
} from "../measured.ts";

/** The `info` field of the report. */
export const TASK_MEASURED_FIELD = "task-measured";

/** A parsed report. */
export interface TaskMeasured {
  /** The task it is about. */
  taskId: number;
  /** What it used. */
  measured: Measured;
  /** The limit it went over, if it was stopped for that. */
  exhausted?: Exhaustion;
}

const KEYS: ReadonlyArray<readonly [string, keyof Measured]> = [
  ["memory", "memoryMB"],
  ["disk", "diskMB"],
  ["cpu", "cpuSeconds"],
  ["wall", "wallSeconds"],
  ["cores", "cores"],
];

const METHODS: readonly MeasureMethod[] = ["cgroup", "proc", "wall"];

/**
 * The report's line.
 *
 * @param r The report.
 * @returns The line, with its LF.
 * @throws {RangeError} If the task id or a number is not a non-negative finite number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(
 *   encodeTaskMeasured({
 *     taskId: 7,
 *     measured: { method: "proc", memoryMB: 212.43, cpuSeconds: 0.5, wallSeconds: 1 },
 *     exhausted: { resource: "memory", limitMB: 100, peakMB: 212.43 },
 *   }),
 *   "info task-measured 7 method=proc memory=212.43 cpu=0.5 wall=1" +
 *     " exhausted=memory limit=100 peak=212.43\n",
 * );
 * ```
 */
export function encodeTaskMeasured(r: TaskMeasured): string {
  if (!Number.isSafeInteger(r.taskId) || r.taskId < 0) {
    throw new RangeError(`Cannot encode task-measured: task id is '${r.taskId}'`);
  }
  let s = `info ${TASK_MEASURED_FIELD} ${r.taskId} method=${r.measured.method}`;
  for (const [key, field] of KEYS) {
    const v = r.measured[field];
    if (v !== undefined) s += ` ${key}=${num(v as number, key)}`;
  }
  const e = r.exhausted;
  if (e) {
    s += ` exhausted=${e.resource} limit=${num(e.limitMB, "limit")} peak=${num(e.peakMB, "peak")}`;
  }
  return s + "\n";
}

function num(v: number, key: string): string {
  if (!Number.isFinite(v) || v < 0) {
    throw new RangeError(`Cannot encode task-measured: ${key} is '${v}'`);
  }
  return String(Math.round(v * 1000) / 1000);
}

/**
 * Reads a report from the fields of an `info task-measured` line.
 *
 * @param fields The line split on spaces (`info`, the field, the task id, pairs).
 * @returns The report, or `undefined` if the line is malformed: a bad task
 * id, no known method, a bad number, or an exhaustion without its limit
 * and peak.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const line = "info task-measured 7 method=proc memory=12.5 wall=1 future=x";
 * assert.deepEqual(parseTaskMeasured(line.split(" ")), {
 *   taskId: 7,
 *   measured: { method: "proc", memoryMB: 12.5, wallSeconds: 1 },
 * });
 * assert.equal(parseTaskMeasured("info task-measured 7 memory=1".split(" ")), undefined);
 * ```
 */
export function parseTaskMeasured(fields: readonly string[]): TaskMeasured | undefined {
  const id = fields[2];
  if (fields[1] !== TASK_MEASURED_FIELD || id === undefined || !/^[0-9]{1,15}$/.test(id)) {
    return undefined;
  }
  const pairs = new Map<string, string>();
  for (const f of fields.slice(3)) {
    const eq = f.indexOf("=");
    if (eq > 0) pairs.set(f.slice(0, eq), f.slice(eq + 1));
  }
  const method = pairs.get("method") as MeasureMethod | undefined;
  if (method === undefined || !METHODS.includes(method)) return undefined;
  const measured: Measured = { method };
  for (const [key, field] of KEYS) {
    const v = pairs.get(key);
    if (v === undefined) continue;
    const n = readNumber(v);
    if (n === undefined) return undefined;
    (measured[field] as number) = n;
  }
  const out: TaskMeasured = { taskId: Number(id), measured };
  const resource = pairs.get("exhausted");
  if (resource !== undefined) {
    const limitMB = readNumber(pairs.get("limit"));
    const peakMB = readNumber(pairs.get("peak"));
    if (!ENFORCED_RESOURCES.includes(resource as EnforcedResource)) return undefined;
    if (limitMB === undefined || peakMB === undefined) return undefined;
    out.exhausted = { resource: resource as EnforcedResource, limitMB, peakMB };
  }
  return out;
}

function readNumber(v: string | undefined): number | undefined {
  if (v === undefined || !/^[0-9]{1,15}(\.[0-9]{1,9})?$/.test(v)) return undefined;
  return Number(v);
}
