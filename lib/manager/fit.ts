/**
 * Fit tracking: which waiting tasks no connected worker is large enough to
 * run, for `stats.tasksUnfittable`, `explain()` and one warning per task.
 *
 * @module
 */

import { kInternal, type Task } from "../task.ts";
import { largestWorker, unfitReason } from "./explain.ts";
import { noResources, type Resources } from "../resources.ts";
import type { WorkerInfo } from "./worker_info.ts";

/**
 * The waiting tasks too large for every connected worker, kept current as
 * tasks wait and workers come and go.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Task } from "../task.ts";
 * import { WorkerInfo } from "./worker_info.ts";
 *
 * const fit = new FitTracker(() => {});
 * const w = new WorkerInfo(1, "127.0.0.1:1");
 * w.pending.clear();
 * w.total = { cores: 4, memory: 1000, disk: 1000, gpus: 0 };
 * fit.refit([w], []);
 * const t = new Task("x").specifyCores(8);
 * t.id = 17;
 * fit.check(t);
 * assert.equal(fit.unfit.get(t), "task 17 needs 8 cores; the largest worker has 4");
 * ```
 */
export class FitTracker {
  /** Waiting tasks too large for every connected worker, with the reason. */
  readonly unfit: Map<Task, string> = new Map();
  #largest: Resources = noResources();
  #readyWorkers = 0;
  readonly #warn: (msg: string) => void;

  /** @param warn Receives the one warning per task that cannot run. */
  constructor(warn: (msg: string) => void) {
    this.#warn = warn;
  }

  /** Notes (and warns of, once per submission) a waiting task that no worker can run. */
  check(task: Task): void {
    const why = unfitReason(task, this.#largest, this.#readyWorkers);
    if (!why) {
      this.unfit.delete(task);
      return;
    }
    this.unfit.set(task, why);
    if (!task[kInternal].unfitLogged) {
      task[kInternal].unfitLogged = true;
      this.#warn(`${why}; it waits for a larger worker`);
    }
  }

  /**
   * After workers came, went or changed: recomputes the largest worker and,
   * if it changed, which waiting tasks fit.
   *
   * @param workers The connected workers (those not ready are skipped).
   * @param ready The waiting tasks.
   */
  refit(workers: Iterable<WorkerInfo>, ready: Iterable<Task>): void {
    const ok = [...workers].filter((w) => w.ready);
    const largest = largestWorker(ok);
    const l = this.#largest;
    const same = ok.length > 0 === this.#readyWorkers > 0 && largest.cores === l.cores &&
      largest.memory === l.memory && largest.disk === l.disk && largest.gpus === l.gpus;
    this.#readyWorkers = ok.length;
    if (same) return;
    this.#largest = largest;
    for (const t of this.unfit.keys()) if (t.state !== "ready") this.unfit.delete(t);
    for (const t of ready) this.check(t);
  }

  /** How many waiting tasks no worker can run now. */
  count(): number {
    let n = 0;
    for (const t of this.unfit.keys()) if (t.state === "ready") n++;
    return n;
  }
}
