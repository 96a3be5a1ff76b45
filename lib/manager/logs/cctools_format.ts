/**
 * The pieces of CCTools' two manager logs that are plain text: the
 * transactions log's header and its resource dictionaries, the names of
 * results, and the statistics log's columns. The formats are those of
 * Debian's CCTools 9.9 (`work_queue.c`, `write_transaction*` and
 * `log_queue_stats`); docs/logs.md describes them.
 *
 * @module
 */

import type { Measured } from "../../measured.ts";
import type { Resources } from "../../resources.ts";

/** The comment lines a transactions log starts with (each time it is opened), and a blank line. */
export const TRANSACTIONS_HEADER = [
  "# time manager_pid MANAGER START|END",
  "# time manager_pid WORKER worker_id host:port CONNECTION",
  "# time manager_pid WORKER worker_id host:port DISCONNECTION (UNKNOWN|IDLE_OUT|FAST_ABORT|FAILURE|STATUS_WORKER|EXPLICIT",
  "# time manager_pid WORKER worker_id RESOURCES {resources}",
  "# time manager_pid CATEGORY name MAX {resources_max_per_task}",
  "# time manager_pid CATEGORY name MIN {resources_min_per_task_per_worker}",
  "# time manager_pid CATEGORY name FIRST (FIXED|MAX|MIN_WASTE|MAX_THROUGHPUT) {resources_requested}",
  "# time manager_pid TASK taskid WAITING category_name (FIRST_RESOURCES|MAX_RESOURCES) {resources_requested}",
  "# time manager_pid TASK taskid RUNNING worker_address (FIRST_RESOURCES|MAX_RESOURCES) {resources_allocated}",
  "# time manager_pid TASK taskid WAITING_RETRIEVAL worker_address",
  "# time manager_pid TASK taskid (RETRIEVED|DONE) (SUCCESS|SIGNAL|END_TIME|FORSAKEN|MAX_RETRIES|MAX_WALLTIME|UNKNOWN|RESOURCE_EXHAUSTION) exit_code {limits_exceeded} {resources_measured}",
  "",
].join("\n") + "\n";

/** CCTools' names of results (`work_queue_result_str` of Debian's 9.9). */
const RESULT_NAMES: ReadonlyMap<number, string> = new Map([
  [0, "SUCCESS"],
  [1, "INPUT_MISS"],
  [2, "OUTPUT_MISS"],
  [4, "STDOUT_MISS"],
  [8, "SIGNAL"],
  [16, "RESOURCE_EXHAUSTION"],
  [24, "END_TIME"],
  [32, "UNKNOWN"],
  [40, "FORSAKEN"],
  [48, "MAX_RETRIES"],
  [56, "MAX_WALL_TIME"],
]);

/**
 * A result's name in the transactions log.
 *
 * @param result A `WORK_QUEUE_RESULT_*` value.
 * @returns Its name, as CCTools 9.9 writes it; `UNKNOWN` for any other.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(resultName(0), "SUCCESS");
 * assert.equal(resultName(1), "INPUT_MISS");
 * assert.equal(resultName(64), "UNKNOWN");
 * ```
 */
export function resultName(result: number | undefined): string {
  return RESULT_NAMES.get(result ?? 32) ?? "UNKNOWN";
}

/** Resources, each possibly unset (`undefined` or negative: left out). */
export type ResourceFields = Partial<Record<keyof Resources, number>>;

/**
 * A resource dictionary as CCTools prints one (`rmsummary_print`): memory,
 * disk, gpus, cores, those that are set, with their units.
 *
 * @param r The resources.
 * @returns One line of JSON, `{}` if none is set.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(resourcesJson({ cores: 1 }), '{"cores":[1,"cores"]}');
 * assert.equal(
 *   resourcesJson({ cores: 2, memory: 1000, disk: 1000 }),
 *   '{"memory":[1000,"MB"],"disk":[1000,"MB"],"cores":[2,"cores"]}',
 * );
 * ```
 */
export function resourcesJson(r: ResourceFields): string {
  const parts: string[] = [];
  const add = (key: keyof Resources, unit: string) => {
    const v = r[key];
    if (v !== undefined && v >= 0) parts.push(`"${key}":[${v},"${unit}"]`);
  };
  add("memory", "MB");
  add("disk", "MB");
  add("gpus", "gpus");
  add("cores", "cores");
  return `{${parts.join(",")}}`;
}

/**
 * A task's `{resources_measured}` as CCTools prints one: what our worker
 * measured (peak memory and disk, cores, CPU and wall time), `{}` when it
 * measured nothing (CCTools' workers: the wall time alone is not printed).
 *
 * @param m The measurement, if any.
 * @returns One line of JSON.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(measuredJson(null), "{}");
 * assert.equal(measuredJson({ method: "wall", wallSeconds: 2 }), "{}");
 * assert.equal(
 *   measuredJson({ method: "cgroup", memoryMB: 100, cores: 1, wallSeconds: 2 }),
 *   '{"memory":[100,"MB"],"cores":[1,"cores"],"wall_time":[2,"s"]}',
 * );
 * ```
 */
export function measuredJson(m: Measured | null): string {
  if (!m || m.method === "wall") return "{}";
  const base = resourcesJson({ memory: m.memoryMB, disk: m.diskMB, cores: m.cores });
  const extra: string[] = [];
  if (m.cpuSeconds !== undefined) extra.push(`"cpu_time":[${m.cpuSeconds},"s"]`);
  if (m.wallSeconds !== undefined) extra.push(`"wall_time":[${m.wallSeconds},"s"]`);
  if (extra.length === 0) return base;
  return base === "{}" ? `{${extra.join(",")}}` : `${base.slice(0, -1)},${extra.join(",")}}`;
}

/**
 * The columns of the statistics log, in order (Debian's CCTools 9.9). The
 * header line is `# ` and these, joined by spaces.
 */
export const STATS_COLUMNS = [
  "timestamp",
  "workers_connected",
  "workers_init",
  "workers_idle",
  "workers_busy",
  "workers_able",
  "workers_joined",
  "workers_removed",
  "workers_released",
  "workers_idled_out",
  "workers_blocked",
  "workers_fast_aborted",
  "workers_lost",
  "tasks_waiting",
  "tasks_on_workers",
  "tasks_running",
  "tasks_with_results",
  "tasks_submitted",
  "tasks_dispatched",
  "tasks_done",
  "tasks_failed",
  "tasks_cancelled",
  "tasks_exhausted_attempts",
  "time_when_started",
  "time_send",
  "time_receive",
  "time_send_good",
  "time_receive_good",
  "time_status_msgs",
  "time_internal",
  "time_polling",
  "time_application",
  "time_execute",
  "time_execute_good",
  "time_execute_exhaustion",
  "bytes_sent",
  "bytes_received",
  "bandwidth",
  "capacity_tasks",
  "capacity_cores",
  "capacity_memory",
  "capacity_disk",
  "capacity_instantaneous",
  "capacity_weighted",
  "manager_load",
  "total_cores",
  "total_memory",
  "total_disk",
  "committed_cores",
  "committed_memory",
  "committed_disk",
  "max_cores",
  "max_memory",
  "max_disk",
  "min_cores",
  "min_memory",
  "min_disk",
] as const;

/** One column of the statistics log. */
export type StatsColumn = typeof STATS_COLUMNS[number];

/** Columns CCTools prints with `%f` (six decimals); the others are integers. */
const FLOAT_COLUMNS: ReadonlySet<StatsColumn> = new Set(["bandwidth", "manager_load"]);

/**
 * The statistics log's header line.
 *
 * @returns `# timestamp workers_connected …` with its LF.
 */
export function statsHeader(): string {
  return `# ${STATS_COLUMNS.join(" ")}\n`;
}

/**
 * One line of the statistics log.
 *
 * @param values Every column's value (times in microseconds).
 * @returns The numbers in column order, with the LF.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const values = Object.fromEntries(STATS_COLUMNS.map((c) => [c, 0])) as Record<StatsColumn, number>;
 * const line = statsLine({ ...values, timestamp: 1_700_000_000_000_000, bandwidth: 1 });
 * assert.equal(line.split(" ").length, STATS_COLUMNS.length);
 * assert.match(line, /^1700000000000000 0 .* 1\.000000 /);
 * ```
 */
export function statsLine(values: Record<StatsColumn, number>): string {
  let line = "";
  for (const c of STATS_COLUMNS) {
    const v = values[c];
    const text = FLOAT_COLUMNS.has(c) ? v.toFixed(6) : String(Math.round(v));
    line += line ? ` ${text}` : text;
  }
  return line + "\n";
}
