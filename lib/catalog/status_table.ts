/**
 * Aligned text tables of managers, workers and tasks, for `wq-status`. The
 * rows come from catalog records or from a manager's status replies, ours or
 * CCTools' (the field names differ a little; both are read).
 *
 * @module
 */

import type { CatalogRecord } from "./client.ts";

/** One column: its header, how to get its text, and its alignment. */
export interface Column {
  header: string;
  value: (r: CatalogRecord) => string;
  /** Right-align (numbers). */
  right?: boolean;
}

/**
 * Formats rows as a table with a header line; columns are separated by two
 * spaces, numbers right-aligned, trailing spaces trimmed.
 *
 * @param columns The columns.
 * @param rows The records.
 * @returns The table, one line per row, each ending with a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatTable } from "./status_table.ts";
 * const t = formatTable([{ header: "N", value: (r) => String(r.n), right: true }], [{ n: 10 }, { n: 5 }]);
 * assert.equal(t, " N\n10\n 5\n");
 * ```
 */
export function formatTable(columns: Column[], rows: CatalogRecord[]): string {
  const cells = [
    columns.map((c) => c.header),
    ...rows.map((r) => columns.map((c) => oneLine(c.value(r)))),
  ];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  return cells.map((row) =>
    row.map((text, i) => columns[i].right ? text.padStart(widths[i]) : text.padEnd(widths[i])).join(
      "  ",
    )
      .trimEnd() + "\n"
  ).join("");
}

function oneLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, " ");
}

function num(v: unknown): string {
  return typeof v === "number" && Number.isFinite(v)
    ? String(v)
    : typeof v === "string" && v !== ""
    ? v
    : "-";
}

function str(v: unknown): string {
  return v === undefined || v === null || v === "" ? "-" : String(v);
}

function used(r: CatalogRecord, resource: string): string {
  const u = r[`${resource}_inuse`], t = r[`${resource}_total`];
  if (u === undefined && t === undefined) return "-";
  return `${num(u)}/${num(t)}`;
}

/** The columns of the manager list. */
export const MANAGER_COLUMNS: Column[] = [
  { header: "PROJECT", value: (r) => str(r.project) },
  { header: "HOST:PORT", value: (r) => `${str(r.name ?? r.address)}:${num(r.port)}` },
  { header: "WAITING", value: (r) => num(r.tasks_waiting), right: true },
  { header: "RUNNING", value: (r) => num(r.tasks_running), right: true },
  { header: "DONE", value: (r) => num(r.tasks_done ?? r.tasks_complete), right: true },
  { header: "WORKERS", value: (r) => num(r.workers ?? r.workers_connected), right: true },
];

function tasksOnWorker(r: CatalogRecord): unknown {
  if (r.tasks_running !== undefined) return r.tasks_running;
  if (r.total_tasks_running !== undefined) return r.total_tasks_running;
  return Object.keys(r).filter((k) => /^current_task_\d+_id$/.test(k)).length;
}

/**
 * The columns of a manager's worker list (`worker_status`). WORKERS is a
 * foreman's (OS `foreman`) count of workers, and `-` for a worker.
 */
export const WORKER_COLUMNS: Column[] = [
  { header: "HOST", value: (r) => str(r.hostname) },
  { header: "ADDRESS", value: (r) => str(r.address_port) },
  { header: "STATE", value: (r) => str(r.state) },
  { header: "RUNNING", value: (r) => num(tasksOnWorker(r)), right: true },
  { header: "DONE", value: (r) => num(r.total_tasks_complete), right: true },
  { header: "CORES", value: (r) => used(r, "cores"), right: true },
  { header: "MEMORY", value: (r) => used(r, "memory"), right: true },
  { header: "DISK", value: (r) => used(r, "disk"), right: true },
  {
    header: "WORKERS",
    value: (r) => r.os === "foreman" ? num(r.workers_total) : "-",
    right: true,
  },
];

/** The columns of a manager's task list (`task_status`). */
export const TASK_COLUMNS: Column[] = [
  { header: "ID", value: (r) => num(r.taskid), right: true },
  { header: "STATE", value: (r) => str(r.state).toUpperCase() },
  { header: "PRIORITY", value: (r) => num(r.priority), right: true },
  { header: "HOST", value: (r) => str(r.hostname ?? r.host) },
  { header: "CORES", value: (r) => num(r.cores), right: true },
  {
    header: "COMMAND",
    value: (r) => {
      const c = str(r.command);
      return c.length > 60 ? `${c.slice(0, 57)}...` : c;
    },
  },
];

function allocation(v: unknown): string {
  if (typeof v !== "object" || v === null) return "-";
  const a = v as Record<string, unknown>;
  return `${num(a.cores)}/${num(a.memory)}/${num(a.disk)}`;
}

/**
 * The columns of a manager's categories (`wable_status`): its tasks, the
 * workers able to run them, the largest resources (the category's maximum,
 * or `~N` measured), and the first and maximum allocations as
 * cores/memory MB/disk MB.
 */
export const CATEGORY_COLUMNS: Column[] = [
  { header: "CATEGORY", value: (r) => str(r.category) },
  { header: "WAITING", value: (r) => num(r.tasks_waiting), right: true },
  { header: "ON-WORKERS", value: (r) => num(r.tasks_on_workers), right: true },
  { header: "DONE", value: (r) => num(r.tasks_done), right: true },
  { header: "FIT-WORKERS", value: (r) => num(r.workers_able), right: true },
  { header: "MAX-CORES", value: (r) => str(r.max_cores), right: true },
  { header: "MAX-MEMORY", value: (r) => str(r.max_memory), right: true },
  { header: "MAX-DISK", value: (r) => str(r.max_disk), right: true },
  { header: "FIRST-ALLOC", value: (r) => allocation(r.first_allocation), right: true },
  { header: "MAX-ALLOC", value: (r) => allocation(r.max_allocation), right: true },
];
