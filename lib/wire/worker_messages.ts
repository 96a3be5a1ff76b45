/**
 * What a worker sends its manager at any time (spec §2.2, §3): the
 * handshake's `workqueue` line, `alive`, `resource` reports, `info`
 * statistics, `feature` and `available_results`. The manager reads them
 * between the lines of any reply, so {@linkcode parseWorkerMessage} tells
 * them from the rest.
 *
 * ```
 * workqueue <protocol> <host> <os> <arch> <version>
 * info <field> <value>
 * info task-signal <taskid> <SIGNAME>     (ours: the signal that killed a task)
 * info task-measured <taskid> <key=value…>  (ours: what a task used; task_measured.ts)
 * feature <urlenc name>
 * alive
 * resource <name> <total> <smallest> <largest>
 * resource tag <id of the last task received>
 * available_results
 * cache-update <cachedname> <size> <transfer usec>          protocol 11
 * cache-invalid <cachedname> <N>⏎<N bytes of error text>     protocol 11
 * ```
 *
 * `cache-update` and `cache-invalid` answer a `puturl` or `putcmd` when
 * the worker has made the input (or failed to). `cache-invalid` is the one
 * message here with a body: {@linkcode parseWorkerMessage} returns its
 * length, and the caller reads the text.
 *
 * `info task-signal` is this implementation's own: our worker sends it just
 * before the `result` line of a task whose shell was killed by a signal,
 * since that line carries only the signal's number, as if it were an exit
 * code. It is an ordinary `info` line with an unknown field to CCTools'
 * managers, which ignore it.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import { encodeFastPathOffer } from "./fast_path.ts";
import {
  encodeTaskMeasured,
  parseTaskMeasured,
  TASK_MEASURED_FIELD,
  type TaskMeasured,
} from "./task_measured.ts";
import type { Resources } from "../resources.ts";
import {
  CCTOOLS_VERSION,
  clip,
  type Dialect,
  parseIntField,
  PROTOCOL_VERSION,
  urlDecode,
  urlEncode,
} from "./protocol.ts";

/** A message a worker may send at any time. */
export type WorkerMessage =
  /** The first line of the handshake; `version` is the rest of the line. */
  | {
    kind: "workqueue";
    protocol: number;
    hostname: string;
    os: string;
    arch: string;
    version: string;
  }
  /** The answer to `check`. */
  | { kind: "alive" }
  /** Some tasks have finished: the manager should send `send_results`. */
  | { kind: "available_results" }
  /** A resource total (the manager uses `workers`, `cores`, `memory`, `disk`, `gpus`). */
  | { kind: "resource"; name: string; total: number; smallest: number; largest: number }
  /** `resource tag N`: ends a resource report. */
  | { kind: "resource_tag"; tag: number }
  /** A statistic: `worker-id`, `worker-end-time`, `tasks_running`, `idle-disconnecting`… */
  | { kind: "info"; field: string; value: string }
  /** A feature the worker offers (decoded). */
  | { kind: "feature"; name: string }
  /**
   * `info task-signal <taskid> <SIGNAME>` (ours): the signal that killed the
   * shell of the task whose `result` line comes next.
   */
  | { kind: "task_signal"; taskId: number; signal: string }
  /**
   * `info task-measured <taskid> <key=value…>` (ours): what a task used, and
   * the limit it went over (`lib/wire/task_measured.ts`).
   */
  | ({ kind: "task_measured" } & TaskMeasured)
  /** Protocol 11: an input made on the worker is in its cache now. */
  | { kind: "cache_update"; name: string; size: number; transferUsec: number }
  /** Protocol 11: an input could not be made; `length` bytes of error text follow. */
  | { kind: "cache_invalid"; name: string; length: number };

/** The `info` field of a {@linkcode WorkerMessage} of kind `task_signal`. */
export const TASK_SIGNAL_FIELD = "task-signal";

const SIGNAL_NAME = /^SIG[A-Z0-9]+$/;
const TASK_ID = /^(0|[1-9][0-9]{0,15})$/;

/**
 * Whether a text looks like a signal name: `SIG` and capital letters or
 * digits (`SIGKILL`, `SIGRTMIN`, `SIG64`).
 *
 * @param name The text.
 * @returns Whether it does.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(isSignalName("SIGTERM"), true);
 * assert.equal(isSignalName("9"), false);
 * assert.equal(isSignalName("sigterm"), false);
 * ```
 */
export function isSignalName(name: string): boolean {
  return SIGNAL_NAME.test(name);
}

/** Who a worker says it is in its handshake. */
export interface WorkerIdentity {
  /** Host name sent in the `workqueue` line (no spaces). */
  hostname: string;
  /** Operating system name, e.g. `Linux`. */
  os: string;
  /** Machine architecture, e.g. `x86_64`. */
  arch: string;
  /** `worker-<32 hex>`. */
  workerId: string;
}

/**
 * The line of a worker message.
 *
 * @param m The message.
 * @returns The line, with its LF.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(
 *   encodeWorkerMessage({ kind: "info", field: "tasks_running", value: "2" }),
 *   "info tasks_running 2\n",
 * );
 * ```
 */
export function encodeWorkerMessage(m: WorkerMessage): string {
  switch (m.kind) {
    case "workqueue":
      return `workqueue ${m.protocol} ${m.hostname} ${m.os} ${m.arch} ${m.version}\n`;
    case "alive":
      return "alive\n";
    case "available_results":
      return "available_results\n";
    case "resource":
      return `resource ${m.name} ${m.total} ${m.smallest} ${m.largest}\n`;
    case "resource_tag":
      return `resource tag ${m.tag}\n`;
    case "info":
      return `info ${m.field} ${m.value}\n`;
    case "feature":
      return `feature ${urlEncode(m.name)}\n`;
    case "task_signal":
      if (!Number.isSafeInteger(m.taskId) || m.taskId < 0) {
        throw new RangeError(`Cannot encode task signal: task id is '${m.taskId}'`);
      }
      if (!isSignalName(m.signal)) {
        throw new TypeError(`Cannot encode task signal: signal name is '${clip(m.signal)}'`);
      }
      return `info ${TASK_SIGNAL_FIELD} ${m.taskId} ${m.signal}\n`;
    case "task_measured":
      return encodeTaskMeasured(m);
    case "cache_update":
      return `cache-update ${urlEncode(m.name)} ${m.size} ${m.transferUsec}\n`;
    case "cache_invalid":
      return `cache-invalid ${urlEncode(m.name)} ${m.length}\n`;
  }
}

/**
 * A `cache-invalid` message with its text.
 *
 * @param name The cache name of the input that could not be made.
 * @param text Why; an empty text is sent as `failed` (CCTools' worker
 * crashes rather than send an empty one).
 * @returns The line and its body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(encodeCacheInvalid("url-0-ab", "HTTP 404\n"), "cache-invalid url-0-ab 9\nHTTP 404\n");
 * ```
 */
export function encodeCacheInvalid(name: string, text: string): string {
  const body = text === "" ? "failed" : text;
  const length = new TextEncoder().encode(body).length;
  return encodeWorkerMessage({ kind: "cache_invalid", name, length }) + body;
}

/**
 * Parses a line if it is a message a worker may send at any time.
 * Extra fields are ignored, as CCTools' manager ignores them; only the
 * fields the manager uses are checked (a resource's total, not its
 * smallest and largest).
 *
 * `info task-signal <taskid> <SIGNAME>` is a `task_signal` message when the
 * task id is a non-negative integer and the name looks like a signal's
 * ({@linkcode isSignalName}). A malformed one is never an error: it comes
 * back as a plain `info` message (field `task-signal`, the rest of the line
 * as its value), which a manager ignores as it ignores every field it does
 * not know.
 *
 * @param line The line, without its LF.
 * @returns The message, or `undefined` if the line is not one of these
 * (a `result`, an `end`, a reply entry, or a bad line for the caller to refuse).
 * @throws {ProtocolError} If it is one of these but malformed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseWorkerMessage("resource cores 4 4 4"), {
 *   kind: "resource",
 *   name: "cores",
 *   total: 4,
 *   smallest: 4,
 *   largest: 4,
 * });
 * assert.equal(parseWorkerMessage("result 0 0 0 0 1"), undefined);
 * assert.deepEqual(parseWorkerMessage("info task-signal 7 SIGKILL"), {
 *   kind: "task_signal",
 *   taskId: 7,
 *   signal: "SIGKILL",
 * });
 * ```
 */
export function parseWorkerMessage(line: string): WorkerMessage | undefined {
  if (line === "available_results") return AVAILABLE;
  const f = line.split(" ");
  switch (f[0]) {
    case "alive":
      return ALIVE;
    case "available_results":
      return AVAILABLE;
    case "resource":
      return parseResource(f, line);
    case "info":
      if (f[1] === TASK_SIGNAL_FIELD) return parseTaskSignal(f);
      if (f[1] === TASK_MEASURED_FIELD) {
        const m = parseTaskMeasured(f);
        if (m) return { kind: "task_measured", ...m };
      }
      if (f.length < 3) {
        throw new ProtocolError(`Cannot parse info line '${clip(line)}': it has no value`);
      }
      return { kind: "info", field: f[1], value: f[2] };
    case "feature":
      return { kind: "feature", name: urlDecode(f[1] ?? "") };
    case "cache-update":
      return {
        kind: "cache_update",
        name: urlDecode(f[1] ?? ""),
        size: parseIntField(f[2], "cache-update size", line),
        transferUsec: parseIntField(f[3], "cache-update time", line),
      };
    case "cache-invalid":
      return {
        kind: "cache_invalid",
        name: urlDecode(f[1] ?? ""),
        length: parseIntField(f[2], "cache-invalid length", line),
      };
    case "workqueue":
      if (f.length < 6) {
        throw new ProtocolError(`Cannot parse handshake '${clip(line)}': expected 5 fields`);
      }
      return {
        kind: "workqueue",
        protocol: parseIntField(f[1], "protocol version", line),
        hostname: f[2],
        os: f[3],
        arch: f[4],
        version: f.slice(5).join(" "),
      };
    default:
      return undefined;
  }
}

/** `info task-signal …`, split into fields: never throws (see parseWorkerMessage). */
function parseTaskSignal(f: string[]): WorkerMessage {
  const [, field, id, signal] = f;
  const taskId = id !== undefined && TASK_ID.test(id) ? Number(id) : -1;
  if (Number.isSafeInteger(taskId) && taskId >= 0 && signal !== undefined && isSignalName(signal)) {
    return { kind: "task_signal", taskId, signal };
  }
  return { kind: "info", field, value: f.slice(2).join(" ") };
}

const ALIVE: WorkerMessage = Object.freeze({ kind: "alive" });
const AVAILABLE: WorkerMessage = Object.freeze({ kind: "available_results" });

function parseResource(f: string[], line: string): WorkerMessage {
  if (f[1] === "tag") {
    return { kind: "resource_tag", tag: parseIntField(f[2], "resource tag", line) };
  }
  if (f.length < 5) {
    throw new ProtocolError(`Cannot parse resource line '${clip(line)}': expected 3 values`);
  }
  const total = Number(f[2]);
  if (!Number.isFinite(total) || total < 0) {
    throw new ProtocolError(
      `Cannot parse resource line '${clip(line)}': total '${clip(f[2])}' is not a number`,
    );
  }
  return { kind: "resource", name: f[1], total, smallest: Number(f[3]), largest: Number(f[4]) };
}

/**
 * What a resource report stands for besides its totals: a foreman's
 * workers. CCTools' manager checks a task against the totals, but sizes a
 * task that takes "a whole worker" (no resources declared, or a share of
 * them: `task_worker_box_size` in work_queue.c) from `largest`, so a
 * foreman reports its largest single worker there, as CCTools' does.
 */
export interface ResourceReportOptions {
  /** How many workers the report stands for: 1 (the default), or a foreman's count (maybe 0). */
  workers?: number;
  /** Each resource's amount on the smallest of those workers; default the totals. */
  smallest?: Resources;
  /** Each resource's amount on the largest of those workers; default the totals. */
  largest?: Resources;
}

/**
 * The `alive` + `resource …` + `info end_of_resource_update` report a
 * worker sends in its handshake and when its resources change, each line
 * `resource NAME TOTAL SMALLEST LARGEST`. A single worker reports each
 * total as its own smallest and largest; a foreman reports the sums over
 * its workers, the smallest and largest single worker, and how many they are.
 *
 * @param total The worker's resources.
 * @param tag The id of the last task received.
 * @param options A foreman's worker count, smallest and largest worker.
 * @returns Lines, each ending in LF.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const text = encodeResourceReport({ cores: 2, memory: 512, disk: 1000, gpus: 0 }, 0);
 * assert.ok(text.startsWith("alive\nresource workers 1 1 1\nresource disk 1000 1000 1000\n"));
 * assert.ok(text.endsWith("resource tag 0\ninfo end_of_resource_update 0\n"));
 * const foreman = encodeResourceReport({ cores: 6, memory: 300, disk: 900, gpus: 0 }, 4, {
 *   workers: 2,
 *   smallest: { cores: 2, memory: 100, disk: 500, gpus: 0 },
 *   largest: { cores: 4, memory: 200, disk: 900, gpus: 0 },
 * });
 * assert.match(foreman, /\nresource workers 2 1 1\n/);
 * assert.match(foreman, /\nresource cores 6 2 4\n/);
 * ```
 */
export function encodeResourceReport(
  total: Resources,
  tag: number,
  options: ResourceReportOptions = {},
): string {
  const { smallest = total, largest = total, workers = 1 } = options;
  const one = Math.min(1, workers);
  const r = (name: keyof Resources) =>
    `resource ${name} ${total[name]} ${smallest[name]} ${largest[name]}\n`;
  return "alive\n" +
    `resource workers ${workers} ${one} ${one}\n` +
    r("disk") +
    r("memory") +
    r("gpus") +
    r("cores") +
    `resource tag ${tag}\n` +
    "info end_of_resource_update 0\n";
}

/**
 * The handshake a worker sends right after connecting (spec §2.2), in the
 * order CCTools' worker sends it: `workqueue`, its id, the resource report,
 * `tasks_running` and `worker-end-time`; with `fastPath`, our offer of the
 * fast path (`fast_path.ts`) just before `worker-end-time`, so that a
 * manager reads it before the worker may get a task.
 *
 * @param id Host, OS, architecture and worker id.
 * @param total The worker's resources.
 * @param dialect The protocol number to announce: 9 (the default) or 11.
 * @param options `fastPath`: the fast path's version to offer; none by default. And a
 * foreman's resource report options ({@linkcode ResourceReportOptions}).
 * @returns Lines, each ending in LF.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const text = encodeHandshake(
 *   { hostname: "h", os: "Linux", arch: "x86_64", workerId: "worker-00" },
 *   { cores: 1, memory: 512, disk: 1000, gpus: 0 },
 * );
 * const head = "workqueue 9 h Linux x86_64 8.0.0\ninfo worker-id worker-00\nalive\n";
 * assert.ok(text.startsWith(head), text);
 * assert.ok(text.endsWith("info tasks_running 0\ninfo worker-end-time 0\n"), text);
 * ```
 */
export function encodeHandshake(
  id: WorkerIdentity,
  total: Resources,
  dialect: Dialect = PROTOCOL_VERSION,
  options: { fastPath?: number } & ResourceReportOptions = {},
): string {
  return encodeWorkerMessage({
    kind: "workqueue",
    protocol: dialect,
    hostname: id.hostname,
    os: id.os,
    arch: id.arch,
    version: CCTOOLS_VERSION,
  }) +
    `info worker-id ${id.workerId}\n` +
    encodeResourceReport(total, 0, options) +
    "info tasks_running 0\n" +
    (options.fastPath === undefined ? "" : encodeFastPathOffer(options.fastPath)) +
    "info worker-end-time 0\n";
}
