/**
 * Answers to status queries on the manager's port (spec §6): a client sends
 * one line (`queue_status`, `worker_status`, `task_status`, `wable_status`,
 * `resources_status`, or an HTTP `GET /<that>`; `lib/wire/status_request.ts`)
 * and gets one JSON array.
 *
 * @module
 */

import { RESOURCE_KINDS } from "../resources.ts";
import { CCTOOLS_VERSION, PROTOCOL_VERSION_11 } from "../wire/protocol.ts";
import { parseStatusRequest } from "../wire/status_request.ts";
import type { Core } from "./core.ts";
import { managerOwner } from "./owner.ts";
import { categoriesStatus, taskTotals } from "./status_categories.ts";
import type { Categories } from "./categories/categories.ts";

/** Facts about the manager that the books do not hold. */
export interface ManagerFacts {
  name: string | undefined;
  port: number;
  startedAt: number;
  /** Whether the manager speaks TLS. */
  ssl: boolean;
  /**
   * `ip:port` of the manager this one serves as a foreman (its uplink's
   * remote address), advertised as `my_manager`; none for a manager that
   * serves none.
   */
  uplink?: string;
}

function granted(desc: Deno.PermissionDescriptor): boolean {
  return Deno.permissions.querySync(desc).state === "granted";
}

/**
 * The manager's summary record: what `queue_status` and `resources_status`
 * answer and what the manager advertises to a catalog (the fields CCTools'
 * clients read), with the keys protocol 11 adds: `protocol`, `ssl` and those
 * of `categories` (spec-11 §8). It has no `network_interfaces`, so no
 * worker can trip on one spelling of their keys (spec-11 §8.1).
 *
 * @param core The books.
 * @param facts Name, port, start time.
 * @param categories The categories' sizing, for their entries.
 * @returns A flat JSON object of type `wq_master`.
 */
export function managerRecord(
  core: Core,
  facts: ManagerFacts,
  categories?: Categories,
): Record<string, unknown> {
  const s = core.inState;
  let workers = 0, busy = 0, init = 0;
  const total = { cores: 0, memory: 0, disk: 0, gpus: 0 };
  const inuse = { cores: 0, memory: 0, disk: 0, gpus: 0 };
  const largest = { cores: 0, memory: 0, disk: 0, gpus: 0 };
  for (const w of core.workers.values()) {
    if (!w.ready) {
      init++;
      continue;
    }
    workers++;
    if (w.tasks.size) busy++;
    for (const k of RESOURCE_KINDS) {
      total[k] += w.total[k];
      inuse[k] += w.inUse[k];
      largest[k] = Math.max(largest[k], w.total[k]);
    }
  }
  const c = core.counters;
  const record: Record<string, unknown> = {
    type: "wq_master",
    project: facts.name ?? "",
    port: facts.port,
    starttime: Math.floor(facts.startedAt / 1000),
    version: CCTOOLS_VERSION,
    // The newest dialect the manager speaks (it serves 9 too); workers of 9 ignore the key.
    protocol: PROTOCOL_VERSION_11,
    ssl: facts.ssl,
    implementation: "wq-deno",
    owner: managerOwner(),
    priority: 0,
    manager_preferred_connection: "by_ip",
    workers,
    workers_connected: workers,
    workers_init: init,
    workers_busy: busy,
    workers_idle: workers - busy,
    workers_able: workers,
    workers_joined: c.workersJoined,
    workers_removed: c.workersRemoved,
    workers_lost: c.workersLost,
    tasks_waiting: s.ready,
    tasks_running: s.sending + s.running - core.queuedAhead,
    tasks_with_results: s.receiving + s.complete,
    tasks_on_workers: s.sending + s.running + s.receiving,
    tasks_left: 0,
    tasks_submitted: c.tasksSubmitted,
    tasks_dispatched: c.tasksDispatched,
    tasks_done: c.tasksDone,
    tasks_complete: c.tasksDone,
    tasks_cancelled: c.tasksCancelled,
    tasks_failed: 0,
    bytes_sent: c.bytesSent,
    bytes_received: c.bytesReceived,
  };
  const asked = taskTotals(core);
  for (const k of RESOURCE_KINDS) {
    record[`${k}_total`] = total[k];
    record[`${k}_inuse`] = inuse[k];
    record[`${k}_largest`] = largest[k];
    record[`tasks_total_${k}`] = asked[k];
  }
  const entries = categoriesStatus(core, categories);
  record.tasks_failed = entries[0]?.tasks_failed ?? 0;
  record.categories = entries;
  if (granted({ name: "read", path: "." })) record.working_dir = Deno.cwd();
  // As CCTools' foreman: status tools list this manager under that one.
  if (facts.uplink !== undefined) record.my_manager = facts.uplink;
  return record;
}

function workerStatus(core: Core): Record<string, unknown>[] {
  return [...core.workers.values()].map((w) => ({
    hostname: w.hostname,
    os: w.os, // "foreman" for a foreman, as in CCTools
    arch: w.arch,
    address_port: w.addr,
    workerid: w.workerId,
    state: w.ready ? (w.tasks.size ? "BUSY" : "READY") : "INIT",
    tasks_running: w.tasks.size - w.aheadCount,
    total_tasks_running: w.tasks.size - w.aheadCount,
    total_tasks_complete: w.tasksDone,
    cores_total: w.total.cores,
    cores_inuse: w.inUse.cores,
    memory_total: w.total.memory,
    memory_inuse: w.inUse.memory,
    disk_total: w.total.disk,
    disk_inuse: w.inUse.disk,
    gpus_total: w.total.gpus,
    gpus_inuse: w.inUse.gpus,
    // 1 for a worker; a foreman's count of workers (CCTools' key)
    workers_total: w.workers,
    start_time: w.connectedAt * 1000,
  }));
}

function taskStatus(core: Core): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const t of core.tasks.values()) {
    const w = core.workerOf(t);
    out.push({
      taskid: t.id,
      state: (t.state ?? "").toUpperCase(),
      tag: t.tag ?? "",
      command: t.command,
      category: t.category,
      priority: t.priority,
      host: w?.hostname ?? "",
      address_port: w?.addr ?? "",
      hostname: w?.hostname ?? "",
      cores: t.resources.cores ?? -1,
      memory: t.resources.memory ?? -1,
      disk: t.resources.disk ?? -1,
      gpus: t.resources.gpus ?? -1,
      time_submitted: (t.submitTime ?? 0) * 1000,
    });
  }
  return out;
}

/**
 * The bytes to send back for a status request line.
 *
 * @param line The request (`queue_status`, or `GET /queue_status HTTP/1.1`).
 * @param core The manager's books.
 * @param facts Name, port, start time.
 * @param categories The categories' sizing, for their entries.
 * @returns The reply, JSON (with HTTP headers for `GET`).
 */
export function statusReply(
  line: string,
  core: Core,
  facts: ManagerFacts,
  categories?: Categories,
): string {
  const { http, what } = parseStatusRequest(line) ?? { http: false, what: line.trim() };
  let body: string;
  switch (what) {
    case "queue_status":
    case "resources_status":
      body = JSON.stringify([managerRecord(core, facts, categories)]);
      break;
    case "wable_status":
      body = JSON.stringify(categoriesStatus(core, categories));
      break;
    case "worker_status":
      body = JSON.stringify(workerStatus(core));
      break;
    case "task_status":
      body = JSON.stringify(taskStatus(core));
      break;
    default:
      body = http
        ? "<html><body><h1>Work Queue manager</h1><ul>" +
          ["queue_status", "worker_status", "task_status", "wable_status", "resources_status"].map((
            s,
          ) => `<li><a href="/${s}">${s}</a></li>`).join("") +
          "</ul></body></html>"
        : "[]";
  }
  if (!http) return body + "\n";
  const type = body.startsWith("<") ? "text/html" : "text/plain";
  return `HTTP/1.1 200 OK\nConnection: close\nAccess-Control-Allow-Origin: *\nContent-type: ${type}\n\n${body}`;
}
