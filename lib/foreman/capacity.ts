/**
 * What a foreman offers its manager: the sum of its connected workers'
 * cores, memory and GPUs, with its own disk (as CCTools' foreman does),
 * kept current from its queue's `worker-joined` and `worker-left` events;
 * and its smallest and largest worker, which CCTools' manager sizes
 * whole-worker tasks by (a task must fit one of the foreman's workers).
 *
 * @module
 */

import type { Resources } from "../resources.ts";
import type { Capacity } from "../worker/runner.ts";
import type { QueueEvent } from "../manager/queue_event.ts";
import type { WorkQueue } from "../manager/work_queue.ts";

/**
 * The statistics of a foreman's queue that CCTools' foreman sends its
 * manager (`send_stats_update` in work_queue_worker.c), under CCTools'
 * names. Not `tasks_running`: the session sends that already, counting
 * the manager's tasks the foreman holds.
 *
 * @param s The foreman's queue's statistics.
 * @returns `[field, value]` pairs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const s = { workersJoined: 3, workersRemoved: 1, workersLost: 1, workersFastAborted: 0,
 *   tasksWaiting: 4, tasksOnWorkers: 2, tasksWithResults: 0 };
 * assert.deepEqual(foremanStats(s)[0], ["workers_joined", 3]);
 * assert.deepEqual(foremanStats(s)[4], ["tasks_waiting", 4]);
 * ```
 */
export function foremanStats(
  s: Pick<
    WorkQueue["stats"],
    | "workersJoined"
    | "workersRemoved"
    | "workersLost"
    | "workersFastAborted"
    | "tasksWaiting"
    | "tasksOnWorkers"
    | "tasksWithResults"
  >,
): [string, number][] {
  return [
    ["workers_joined", s.workersJoined],
    ["workers_removed", s.workersRemoved],
    ["workers_lost", s.workersLost],
    ["workers_fast_aborted", s.workersFastAborted],
    ["tasks_waiting", s.tasksWaiting],
    ["tasks_on_workers", s.tasksOnWorkers],
    ["tasks_with_results", s.tasksWithResults],
  ];
}

/**
 * A foreman's capacity, summed over its workers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const c = new WorkerSum(5000);
 * let changes = 0;
 * const stop = c.subscribe(() => changes++);
 * c.follow({ type: "worker-joined", worker: { id: 1, host: "a", hostname: "a", cores: 2, memory: 100, disk: 9, gpus: 0 } });
 * c.follow({ type: "worker-joined", worker: { id: 2, host: "b", hostname: "b", cores: 4, memory: 50, disk: 9, gpus: 1 } });
 * assert.deepEqual(c.total, { cores: 6, memory: 150, disk: 5000, gpus: 1 });
 * assert.deepEqual(c.largest, { cores: 4, memory: 100, disk: 9, gpus: 1 });
 * assert.deepEqual(c.smallest, { cores: 2, memory: 50, disk: 9, gpus: 0 });
 * assert.equal(c.workers, 2);
 * c.follow({ type: "worker-left", worker: { id: 1, host: "a", hostname: "a", cores: 2, memory: 100, disk: 9, gpus: 0 }, reason: "lost", detail: undefined });
 * assert.deepEqual([c.total.cores, c.workers, changes], [4, 1, 3]);
 * stop();
 * ```
 */
export class WorkerSum implements Capacity {
  #workers = new Map<number, Resources>();
  #disk: number;
  #stats: () => ReadonlyArray<readonly [string, number]>;
  #listeners = new Set<() => void>();

  /**
   * @param disk The foreman's own disk, in MB, offered as the disk of the whole.
   * @param stats The foreman's queue's statistics (see {@linkcode foremanStats}); none by default.
   */
  constructor(disk: number, stats: () => ReadonlyArray<readonly [string, number]> = () => []) {
    this.#disk = disk;
    this.#stats = stats;
  }

  /** The foreman's queue's statistics, as `[field, value]` pairs. */
  stats(): ReadonlyArray<readonly [string, number]> {
    return this.#stats();
  }

  /** The sums, and the foreman's disk. */
  get total(): Resources {
    const t = { cores: 0, memory: 0, disk: this.#disk, gpus: 0 };
    for (const r of this.#workers.values()) {
      t.cores += r.cores;
      t.memory += r.memory;
      t.gpus += r.gpus;
    }
    return t;
  }

  /** Each resource's least amount on one worker (zeros without workers). */
  get smallest(): Resources {
    return this.#extreme(Math.min);
  }

  /**
   * Each resource's largest amount on one worker (zeros without workers),
   * the disk no more than the foreman's own.
   */
  get largest(): Resources {
    return this.#extreme(Math.max);
  }

  /** How many workers are connected. */
  get workers(): number {
    return this.#workers.size;
  }

  /**
   * Takes one of the queue's events; joins and departures change the sum.
   *
   * @param e The event.
   */
  follow(e: QueueEvent): void {
    if (e.type === "worker-joined") {
      const { cores, memory, disk, gpus } = e.worker;
      this.#workers.set(e.worker.id, { cores, memory, disk, gpus });
    } else if (e.type !== "worker-left" || !this.#workers.delete(e.worker.id)) {
      return;
    }
    for (const f of this.#listeners) f();
  }

  #extreme(pick: (...n: number[]) => number): Resources {
    const all = [...this.#workers.values()];
    if (all.length === 0) return { cores: 0, memory: 0, disk: 0, gpus: 0 };
    return {
      cores: pick(...all.map((r) => r.cores)),
      memory: pick(...all.map((r) => r.memory)),
      disk: Math.min(this.#disk, pick(...all.map((r) => r.disk))),
      gpus: pick(...all.map((r) => r.gpus)),
    };
  }

  /**
   * Follows changes.
   *
   * @param onChange Called after each change.
   * @returns What stops it.
   */
  subscribe(onChange: () => void): () => void {
    this.#listeners.add(onChange);
    return () => this.#listeners.delete(onChange);
  }
}
