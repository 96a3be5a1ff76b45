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
import type { SizedRequest } from "./categories/category.ts";

/** Where {@linkcode FitTracker} looks when it was told the workers changed. */
export interface FitSource {
  /** The connected workers (those that may get no tasks are skipped). */
  workers(): Iterable<WorkerInfo>;
  /** The waiting tasks. */
  ready(): Iterable<Task>;
  /** What a task asks for, if its category sizes it. */
  sized?(task: Task): SizedRequest | undefined;
}

/**
 * The waiting tasks too large for every connected worker, kept current as
 * tasks wait and workers come and go. A change of workers only marks it
 * stale ({@linkcode FitTracker.invalidate}): it looks at them again once,
 * when next asked, so that many workers joining cost one pass, not one each.
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
  readonly #unfit: Map<Task, string> = new Map();
  #largest: Resources = noResources();
  #readyWorkers = 0;
  #stale = false;
  readonly #warn: (msg: string) => void;
  readonly #source: FitSource | undefined;

  /**
   * @param warn Receives the one warning per task that cannot run.
   * @param source The workers and waiting tasks, read again after {@linkcode FitTracker.invalidate}.
   */
  constructor(warn: (msg: string) => void, source?: FitSource) {
    this.#warn = warn;
    this.#source = source;
  }

  /** Waiting tasks too large for every connected worker, with the reason. */
  get unfit(): Map<Task, string> {
    this.refresh();
    return this.#unfit;
  }

  /** The workers changed: look at them again when next asked. */
  invalidate(): void {
    this.#stale = true;
  }

  /** Looks at the workers again now if they changed (warning of tasks that no longer fit). */
  refresh(): void {
    if (!this.#stale || !this.#source) return;
    this.#stale = false;
    this.refit(this.#source.workers(), this.#source.ready());
  }

  /** Notes (and warns of, once per submission) a waiting task that no worker can run. */
  check(task: Task): void {
    this.refresh();
    const why = unfitReason(
      task,
      this.#largest,
      this.#readyWorkers,
      this.#source?.sized?.(task),
    );
    if (!why) {
      this.#unfit.delete(task);
      return;
    }
    this.#unfit.set(task, why);
    if (!task[kInternal].unfitLogged) {
      task[kInternal].unfitLogged = true;
      this.#warn(`${why}; it waits for a larger worker`);
    }
  }

  /**
   * After workers came, went or changed: recomputes the largest worker and,
   * if it changed, which waiting tasks fit.
   *
   * @param workers The connected workers (those that may get no tasks are skipped).
   * @param ready The waiting tasks.
   */
  refit(workers: Iterable<WorkerInfo>, ready: Iterable<Task>): void {
    this.#stale = false;
    const ok = [...workers].filter((w) => w.runsTasks);
    const largest = largestWorker(ok);
    const l = this.#largest;
    const same = ok.length > 0 === this.#readyWorkers > 0 && largest.cores === l.cores &&
      largest.memory === l.memory && largest.disk === l.disk && largest.gpus === l.gpus;
    this.#readyWorkers = ok.length;
    if (same) return;
    this.#largest = largest;
    for (const t of this.#unfit.keys()) if (t.state !== "ready") this.#unfit.delete(t);
    for (const t of ready) this.check(t);
  }

  /** Checks every waiting task again (a category's sizing changed). */
  recheck(): void {
    this.refresh();
    if (!this.#source) return;
    for (const t of this.#unfit.keys()) if (t.state !== "ready") this.#unfit.delete(t);
    for (const t of this.#source.ready()) this.check(t);
  }

  /** How many waiting tasks no worker can run now. */
  count(): number {
    let n = 0;
    for (const t of this.unfit.keys()) if (t.state === "ready") n++;
    return n;
  }
}
