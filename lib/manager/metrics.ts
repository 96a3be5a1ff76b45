/**
 * The manager's metrics in Prometheus' text exposition format (0.0.4), as
 * the answer to `GET /metrics` on its port: tasks by state, workers, bytes
 * moved, dispatches (whose rate is the dispatch rate) and per-worker
 * counts. Names follow Prometheus' conventions: a `wq_` prefix, base units
 * in the name (`_bytes`, `_seconds`), `_total` on counters and only there.
 * No task command, tag, file name or password appears: only counts, the
 * project name and workers' addresses and host names. docs/metrics.md lists
 * every metric.
 *
 * @module
 */

import { CCTOOLS_VERSION } from "../wire/protocol.ts";
import type { Core } from "./core.ts";
import type { WorkQueueStats } from "./stats.ts";

/** What the metrics are made of. */
export interface MetricsInput {
  /** The books. */
  core: Core;
  /** The counters now (`wq.stats`), live bytes included. */
  stats: WorkQueueStats;
  /** The project name, if any. */
  name: string | undefined;
  /** When the manager started (ms since the epoch). */
  startedAt: number;
  /** Bytes written to and read from a worker's connection so far. */
  traffic: (workerId: number) => { sent: number; received: number };
}

/** The content type of the text format. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Labels = Record<string, string>;
type Sample = [Labels, number];

/**
 * A label value escaped as the text format asks: backslash, double quote
 * and line feed.
 */
function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(",")}}` : "";
}

/** Builds the exposition, one family at a time. */
class Exposition {
  #out = "";

  family(name: string, type: "gauge" | "counter", help: string, samples: Sample[] | number): void {
    this.#out += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
    const list = typeof samples === "number" ? [[{}, samples] as Sample] : samples;
    for (const [labels, value] of list) this.#out += `${name}${labelText(labels)} ${value}\n`;
  }

  text(): string {
    return this.#out;
  }
}

const MB = 1024 * 1024;

/**
 * Renders the metrics.
 *
 * @param input The books, the counters, the name, the start, per-worker traffic.
 * @returns The exposition text, ending with a line feed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Core } from "./core.ts";
 * import { computeStats } from "./stats.ts";
 *
 * const core = new Core();
 * const stats = computeStats(core, {
 *   tasksUnfittable: 0,
 *   hostsBlocked: [],
 *   liveBytesSent: 0,
 *   liveBytesReceived: 0,
 * });
 * const text = renderMetrics({
 *   core,
 *   stats,
 *   name: undefined,
 *   startedAt: 0,
 *   traffic: () => ({ sent: 0, received: 0 }),
 * });
 * assert.match(text, /^# TYPE wq_tasks gauge$/m);
 * assert.match(text, /^wq_tasks\{state="waiting"\} 0$/m);
 * assert.match(text, /^wq_tasks_dispatched_total 0$/m);
 * ```
 */
export function renderMetrics(input: MetricsInput): string {
  const { core, stats: s } = input;
  const x = new Exposition();
  x.family("wq_info", "gauge", "The manager: its project name, implementation and version.", [
    [{ project: input.name ?? "", implementation: "wq-deno", version: CCTOOLS_VERSION }, 1],
  ]);
  x.family(
    "wq_start_time_seconds",
    "gauge",
    "When the manager started, in seconds since the epoch.",
    input.startedAt / 1000,
  );
  const st = core.inState;
  x.family("wq_tasks", "gauge", "Tasks in the queue by state.", [
    [{ state: "waiting" }, st.ready],
    [{ state: "sending" }, st.sending],
    // A task queued ahead on a fast-path worker waits there for a slot.
    [{ state: "queued_on_worker" }, core.queuedAhead],
    [{ state: "running" }, st.running - core.queuedAhead],
    [{ state: "receiving" }, st.receiving],
    [{ state: "complete" }, st.complete],
  ]);
  x.family(
    "wq_tasks_unfittable",
    "gauge",
    "Waiting tasks that no connected worker is large enough to run.",
    s.tasksUnfittable,
  );
  let failed = 0;
  for (const n of core.categories.names()) failed += core.categories.get(n)?.failed ?? 0;
  const counters: [string, string, number][] = [
    ["wq_tasks_submitted_total", "Tasks submitted.", s.tasksSubmitted],
    [
      "wq_tasks_dispatched_total",
      "Dispatches of tasks to workers, retries included.",
      s.tasksDispatched,
    ],
    ["wq_tasks_done_total", "Tasks completed, whatever their result.", s.tasksDone],
    ["wq_tasks_failed_total", "Tasks completed with a result other than success.", failed],
    ["wq_tasks_cancelled_total", "Tasks cancelled.", s.tasksCancelled],
    [
      "wq_tasks_requeued_total",
      "Tasks put back in the queue after losing their worker.",
      s.tasksRequeued,
    ],
    [
      "wq_tasks_fast_aborted_total",
      "Tasks aborted as stragglers and run again.",
      s.tasksFastAborted,
    ],
    ["wq_workers_joined_total", "Workers that joined.", s.workersJoined],
    ["wq_workers_removed_total", "Workers that left, for any reason.", s.workersRemoved],
    ["wq_workers_lost_total", "Workers lost to an error or a timeout.", s.workersLost],
    ["wq_workers_fast_aborted_total", "Workers removed as the slow one.", s.workersFastAborted],
    ["wq_sent_bytes_total", "Bytes sent to workers, files included.", s.bytesSent],
    ["wq_received_bytes_total", "Bytes received from workers, files included.", s.bytesReceived],
  ];
  for (const [name, help, value] of counters) x.family(name, "counter", help, value);
  const gauges: [string, string, number][] = [
    ["wq_workers_connected", "Workers that finished their handshake.", s.workersConnected],
    ["wq_workers_init", "Connections still in their handshake.", s.workersInit],
    ["wq_workers_busy", "Connected workers with at least one task.", s.workersBusy],
    ["wq_workers_idle", "Connected workers without a task.", s.workersIdle],
    ["wq_hosts_blocked", "Hosts blocked now.", s.hostsBlocked.length],
    ["wq_capacity_cores", "Cores of the connected workers.", s.totalCores],
    ["wq_capacity_memory_bytes", "Memory of the connected workers.", s.totalMemory * MB],
    ["wq_capacity_disk_bytes", "Disk of the connected workers.", s.totalDisk * MB],
    ["wq_capacity_gpus", "GPUs of the connected workers.", s.totalGpus],
  ];
  for (const [name, help, value] of gauges) x.family(name, "gauge", help, value);
  perWorker(x, input);
  return x.text();
}

/** The per-worker families, labelled `worker="ip:port"` and `hostname`. */
function perWorker(x: Exposition, input: MetricsInput): void {
  const running: Sample[] = [], ahead: Sample[] = [], done: Sample[] = [];
  const cores: Sample[] = [], used: Sample[] = [];
  const sent: Sample[] = [], received: Sample[] = [];
  for (const w of input.core.workers.values()) {
    if (!w.ready) continue;
    const l = { worker: w.addr, hostname: w.hostname };
    running.push([l, w.tasks.size - w.aheadCount]);
    ahead.push([l, w.aheadCount]);
    done.push([l, w.tasksDone]);
    cores.push([l, w.total.cores]);
    used.push([l, w.inUse.cores]);
    const t = input.traffic(w.id);
    sent.push([l, t.sent]);
    received.push([l, t.received]);
  }
  x.family("wq_worker_tasks_running", "gauge", "Tasks running on the worker now.", running);
  x.family(
    "wq_worker_tasks_queued",
    "gauge",
    "Tasks queued ahead on the worker (fast path), waiting there for a slot.",
    ahead,
  );
  x.family("wq_worker_tasks_done_total", "counter", "Tasks the worker completed.", done);
  x.family("wq_worker_cores", "gauge", "Cores the worker reported.", cores);
  x.family("wq_worker_cores_in_use", "gauge", "Cores its tasks hold.", used);
  x.family("wq_worker_sent_bytes_total", "counter", "Bytes sent to the worker.", sent);
  x.family("wq_worker_received_bytes_total", "counter", "Bytes received from it.", received);
}

/**
 * The whole HTTP response to `GET /metrics`.
 *
 * @param body The exposition.
 * @returns Status line, headers (CRLF) and body.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.match(metricsResponse("wq_x 1\n"), /^HTTP\/1\.1 200 OK\r\n[^]*Content-Length: 7\r\n/);
 * ```
 */
export function metricsResponse(body: string): string {
  const length = new TextEncoder().encode(body).length;
  return "HTTP/1.1 200 OK\r\n" +
    `Content-Type: ${METRICS_CONTENT_TYPE}\r\n` +
    `Content-Length: ${length}\r\n` +
    "Connection: close\r\n\r\n" + body;
}
