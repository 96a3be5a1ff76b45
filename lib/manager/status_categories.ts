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
import { kInternal, type Task } from "../task.ts";
import { allocationOf, type Categories } from "./categories/categories.ts";
import type { Category } from "./categories/category.ts";
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
  /** Queued tasks that ask for their category's maximum (they ran out at the first allocation). */
  atMax: number;
}

function grow(into: Partial<Resources>, task: Task): void {
  for (const k of RESOURCE_KINDS) {
    const v = task.resources[k];
    if (v !== undefined && !(v <= (into[k] ?? -1))) into[k] = v;
  }
}

function tallies(core: Core): Map<string, Tally> {
  const out = new Map<string, Tally>();
  const whole: Tally = { counts: sum(core), queued: 0, waiting: {}, asked: {}, atMax: 0 };
  out.set(WHOLE_QUEUE, whole);
  for (const name of core.categories.names()) {
    out.set(name, {
      counts: core.categories.get(name)!,
      queued: 0,
      waiting: {},
      asked: {},
      atMax: 0,
    });
  }
  for (const t of core.tasks.values()) {
    for (const tally of [whole, out.get(t.category)]) {
      if (!tally) continue; // renamed after it was counted
      tally.queued++;
      if (t[kInternal].label === "max") tally.atMax++;
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
 * A category's `max_<resource>` as CCTools' manager gives it: the maximum
 * the application set; else the largest measured, as `~N`; else (ours)
 * the largest amount its waiting tasks ask for, or `na`.
 */
function maxField(k: ResourceKind, c: Category | undefined, waiting: number | undefined): string {
  const set = c?.max[k];
  if (set !== undefined) return maxString(k, set);
  const seen = c?.maxSeen[k];
  if (seen !== undefined) return `~${maxString(k, seen)}`;
  return maxString(k, waiting);
}

/**
 * The status entries of the categories, `"whole queue"` first, then each
 * category that has or had tasks, in the order first seen.
 *
 * - `tasks_waiting`, `tasks_running` (on a worker, not yet reporting back),
 *   `tasks_on_workers`, `tasks_dispatched`, `tasks_done`, `tasks_failed`,
 *   `tasks_cancelled` count its tasks;
 * - `workers_able`: ready workers large enough for its largest waiting task;
 * - `max_cores`, `max_memory`, `max_disk`, `max_gpus`, as text (`"2.000"`,
 *   `"512"`): the category's maximum if the application set one; else the
 *   largest amount measured, as `"~512"` (CCTools' form); else the largest
 *   amount its waiting tasks ask for; `"na"` if none;
 * - `first_allocation` and `max_allocation`: what a task that declares
 *   nothing gets on the largest worker, with the category's first
 *   allocation and with its maximum (for a category that sizes nothing:
 *   what its largest task gets, for both); `first_allocation_count` and
 *   `max_allocation_count`: its tasks in the queue that ask for each;
 * - `max_seen`: the largest amounts measured, once any task was.
 *
 * @param core The manager's books.
 * @param categories The categories' sizing, if any.
 * @returns The entries.
 */
export function categoriesStatus(
  core: Core,
  categories?: Categories,
): Record<string, unknown>[] {
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
    const c = category === WHOLE_QUEUE ? undefined : categories?.get(category);
    const alloc = allocationFor(t.asked, largest);
    const sizes = c?.active === true;
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
      first_allocation: sizes ? allocationOf(c.request({}, "first"), largest) : { ...alloc },
      max_allocation: sizes ? allocationOf(c.request({}, "max"), largest) : { ...alloc },
      first_allocation_count: t.queued - t.atMax,
      max_allocation_count: t.atMax,
    };
    if (c && c.measured + c.exhausted > 0) {
      entry.max_seen = { cores: 0, memory: 0, disk: 0, gpus: 0, ...c.maxSeen };
    }
    for (const k of RESOURCE_KINDS) entry[`max_${k}`] = maxField(k, c, t.waiting[k]);
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
