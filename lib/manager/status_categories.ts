/**
 * The `categories` of a status reply and of a catalog record, which
 * `wable_status` answers alone and `work_queue_status -A` prints: one entry
 * per task category, after a `"whole queue"` entry, with the keys of both
 * protocol 9 (Debian's CCTools) and protocol 11 (spec-11 §8.2).
 *
 * @module
 */

import {
  allocationFor,
  fits,
  noResources,
  RESOURCE_KINDS,
  type ResourceKind,
  type Resources,
} from "../resources.ts";
import type { Task } from "../task.ts";
import type { CategoryCounts } from "./category_book.ts";
import type { Core } from "./core.ts";

/** The name protocol 9 gives the entry that sums up every category. */
export const WHOLE_QUEUE = "whole queue";

interface Tally {
  counts: CategoryCounts;
  /** Tasks in the queue (waiting, on a worker or completed and not yet returned). */
  queued: number;
  /** The largest amounts the waiting tasks ask for (undefined: none asks). */
  waiting: Partial<Resources>;
  /** The largest amounts any queued task asks for. */
  asked: Partial<Resources>;
}

function grow(into: Partial<Resources>, task: Task): void {
  for (const k of RESOURCE_KINDS) {
    const v = task.resources[k];
    if (v !== undefined && !(v <= (into[k] ?? -1))) into[k] = v;
  }
}

function tallies(core: Core): Map<string, Tally> {
  const out = new Map<string, Tally>();
  const whole: Tally = { counts: sum(core), queued: 0, waiting: {}, asked: {} };
  out.set(WHOLE_QUEUE, whole);
  for (const name of core.categories.names()) {
    out.set(name, { counts: core.categories.get(name)!, queued: 0, waiting: {}, asked: {} });
  }
  for (const t of core.tasks.values()) {
    for (const tally of [whole, out.get(t.category)]) {
      if (!tally) continue; // renamed after it was counted
      tally.queued++;
      grow(tally.asked, t);
      if (t.state === "ready") grow(tally.waiting, t);
    }
  }
  return out;
}

function sum(core: Core): CategoryCounts {
  const s: CategoryCounts = {
    inState: { ...core.inState },
    dispatched: core.counters.tasksDispatched,
    done: core.counters.tasksDone,
    failed: 0,
    cancelled: core.counters.tasksCancelled,
  };
  for (const name of core.categories.names()) s.failed += core.categories.get(name)!.failed;
  return s;
}

/** A CCTools resource value as a string: cores with 3 decimals, the others whole; `na` if unset. */
function maxString(k: ResourceKind, v: number | undefined): string {
  if (v === undefined) return "na";
  return k === "cores" ? v.toFixed(3) : String(Math.round(v));
}

/**
 * The status entries of the categories, `"whole queue"` first, then each
 * category that has or had tasks, in the order first seen.
 *
 * - `tasks_waiting`, `tasks_running` (on a worker, not yet reporting back),
 *   `tasks_on_workers`, `tasks_dispatched`, `tasks_done`, `tasks_failed`,
 *   `tasks_cancelled` count its tasks;
 * - `workers_able`: ready workers large enough for its largest waiting task;
 * - `max_cores`, `max_memory`, `max_disk`, `max_gpus`: the largest amount its
 *   waiting tasks ask for, as text (`"2.000"`, `"512"`), `"na"` if none asks;
 * - `first_allocation` and `max_allocation`: what its largest task gets on
 *   the largest worker (the same: this manager does not grow allocations);
 *   `first_allocation_count`: its tasks in the queue; `max_allocation_count`: 0.
 *
 * @param core The manager's books.
 * @returns The entries.
 */
export function categoriesStatus(core: Core): Record<string, unknown>[] {
  const workers = [...core.workers.values()].filter((w) => w.ready);
  const largest = noResources();
  for (const w of workers) {
    for (const k of RESOURCE_KINDS) largest[k] = Math.max(largest[k], w.total[k]);
  }
  const out: Record<string, unknown>[] = [];
  for (const [category, t] of tallies(core)) {
    const s = t.counts.inState;
    const onWorkers = s.sending + s.running + s.receiving;
    if (s.ready + onWorkers + t.counts.done + t.counts.cancelled === 0) continue;
    const need = allocationFor(t.waiting, noResources());
    const alloc = allocationFor(t.asked, largest);
    const entry: Record<string, unknown> = {
      category,
      tasks_waiting: s.ready,
      tasks_running: s.sending + s.running,
      tasks_on_workers: onWorkers,
      tasks_dispatched: t.counts.dispatched,
      tasks_done: t.counts.done,
      tasks_failed: t.counts.failed,
      tasks_cancelled: t.counts.cancelled,
      workers_able: workers.filter((w) => fits(need, { total: w.total })).length,
      first_allocation: { ...alloc },
      max_allocation: { ...alloc },
      first_allocation_count: t.queued,
      max_allocation_count: 0,
    };
    for (const k of RESOURCE_KINDS) entry[`max_${k}`] = maxString(k, t.waiting[k]);
    out.push(entry);
  }
  return out;
}

/**
 * What the tasks waiting or on workers hold or ask for, summed (`tasks_total_cores`, …): the
 * allocation of a task on a worker, the request of a waiting one (unset
 * amounts count 0).
 *
 * @param core The manager's books.
 * @returns The four sums.
 */
export function taskTotals(core: Core): Resources {
  const total = noResources();
  for (const t of core.tasks.values()) {
    if (t.state === "complete") continue;
    const alloc = core.dispatches.get(t.id)?.alloc;
    for (const k of RESOURCE_KINDS) total[k] += alloc ? alloc[k] : Math.max(0, t.resources[k] ?? 0);
  }
  return total;
}
