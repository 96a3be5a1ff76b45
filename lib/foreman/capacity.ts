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
  #listeners = new Set<() => void>();

  /** @param disk The foreman's own disk, in MB, offered as the disk of the whole. */
  constructor(disk: number) {
    this.#disk = disk;
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
