/**
 * A worker pool (the paper's `work_queue_pool`): keeps between `min` and
 * `max` workers alive, locally or on a batch system, replaces workers that
 * die or are evicted, and, given a project and a catalog, sizes itself to
 * the tasks of the matching managers (waiting plus running, one task per
 * worker), shrinking back to `min` when they are idle.
 *
 * @module
 */

import { type CatalogAddress, type CatalogRecord, queryCatalog } from "../catalog/client.ts";
import { BATCH_SYSTEMS } from "./batch_systems.ts";
import { cancelJobs, submitOne, type SubmitOptions, workerArgs } from "./submit.ts";
import { errorMessage } from "../errors.ts";

/** Options of {@linkcode Pool}. */
export interface PoolOptions {
  /** How each worker is started (`count` is ignored). */
  submit: SubmitOptions;
  /** Workers kept alive at least. */
  min: number;
  /** Workers alive at most. */
  max: number;
  /** The catalog asked for the demand of managers of `submit.project`. */
  catalog?: CatalogAddress;
  /** Milliseconds between checks. Default 5000. */
  intervalMs?: number;
  /** Where progress lines go. Default `console.log`. */
  log?: (line: string) => void;
  /** Stops the pool (and its workers). */
  signal?: AbortSignal;
}

/**
 * How many workers the managers' records ask for: the waiting and running
 * tasks of `wq_master` records whose project matches `project` (a regular
 * expression matched against the whole name).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { demand } from "./pool.ts";
 * const r = [{ type: "wq_master", project: "p1", tasks_waiting: 3, tasks_running: 1 }];
 * assert.equal(demand(r, "p.*"), 4);
 * assert.equal(demand(r, "q"), 0);
 * ```
 * @param records Catalog records.
 * @param project The project pattern.
 * @returns The number of tasks.
 */
export function demand(records: CatalogRecord[], project: string): number {
  const re = new RegExp(`^(?:${project})$`);
  let n = 0;
  for (const r of records) {
    if (r.type !== "wq_master" || typeof r.project !== "string" || !re.test(r.project)) continue;
    n += Number(r.tasks_waiting) || 0;
    n += Number(r.tasks_running) || 0;
  }
  return n;
}

/**
 * The number of workers to keep: the demand clamped to `[min, max]`.
 *
 * @param want The demand (or `min` when there is no catalog).
 * @param min Lower bound.
 * @param max Upper bound.
 * @returns The target.
 */
export function poolTarget(want: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, want));
}

/** A running pool. */
export class Pool implements AsyncDisposable {
  #o: PoolOptions;
  #log: (line: string) => void;
  /** Local workers by pid. */
  #children = new Map<string, Deno.ChildProcess>();
  /** Batch jobs, oldest first. */
  #jobs: string[] = [];
  #stopped = false;
  #done: Promise<void>;
  #wakeup: (() => void) | undefined;
  #lastLine = "";

  /**
   * Starts the pool.
   *
   * @param options Bounds, how to start workers, the catalog.
   */
  constructor(options: PoolOptions) {
    if (!Number.isInteger(options.min) || options.min < 0) {
      throw new RangeError(`Cannot start a pool: min is ${options.min}`);
    }
    if (!Number.isInteger(options.max) || options.max < Math.max(1, options.min)) {
      throw new RangeError(`Cannot start a pool: max is ${options.max} (min ${options.min})`);
    }
    this.#o = options;
    this.#log = options.log ?? ((l) => console.log(l));
    options.signal?.addEventListener("abort", () => this.close(), { once: true });
    this.#done = this.#run();
  }

  /** The ids of the workers alive now (pids for local workers). */
  workers(): string[] {
    return this.#o.submit.system === "local" ? [...this.#children.keys()] : [...this.#jobs];
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      await this.#step();
      if (this.#stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#o.intervalMs ?? 5000);
        this.#wakeup = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    await this.#shrink(0);
  }

  async #want(): Promise<number> {
    const project = this.#o.submit.project;
    if (project === undefined || this.#o.catalog === undefined) return this.#o.min;
    try {
      return demand(await queryCatalog(this.#o.catalog, { timeoutMs: 3000 }), project);
    } catch (e) {
      this.#log(`pool: catalog query failed: ${errorMessage(e)}`);
      return this.workers().length; // keep the current size
    }
  }

  async #step(): Promise<void> {
    await this.#refreshJobs();
    const target = poolTarget(await this.#want(), this.#o.min, this.#o.max);
    if (this.#stopped) return;
    const alive = this.workers().length;
    const line = `pool: target ${target} alive ${alive}`;
    if (line !== this.#lastLine) this.#log(this.#lastLine = line);
    if (alive < target) {
      for (let i = alive; i < target && !this.#stopped; i++) await this.#start(i);
    } else if (alive > target) {
      await this.#shrink(target);
    }
  }

  async #refreshJobs(): Promise<void> {
    const s = this.#o.submit.system;
    if (s === "local" || this.#jobs.length === 0) return;
    const argv = BATCH_SYSTEMS[s].queueCommand();
    const out = await new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      this.#log(`pool: '${argv.join(" ")}' exited with ${out.code}; keeping the job list`);
      return;
    }
    const queued = new Set(BATCH_SYSTEMS[s].parseQueue(new TextDecoder().decode(out.stdout)));
    const gone = this.#jobs.filter((id) => !queued.has(id));
    for (const id of gone) this.#log(`pool: job ${id} left the queue`);
    this.#jobs = this.#jobs.filter((id) => queued.has(id));
  }

  async #start(index: number): Promise<void> {
    const o = this.#o.submit;
    if (o.system !== "local") {
      const job = await submitOne(o, index);
      this.#jobs.push(job.id);
      this.#log(`pool: submitted ${o.system} ${job.id}`);
      return;
    }
    const argv = [...o.workerCommand, ...workerArgs(o)];
    const dir = o.dir ?? await Deno.makeTempDir({ prefix: "wq-pool-" });
    o.dir = dir;
    const child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      cwd: dir,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const id = String(child.pid);
    this.#children.set(id, child);
    this.#log(`pool: started local ${id}`);
    child.status.then((st) => {
      this.#children.delete(id);
      if (!this.#stopped) {
        this.#log(`pool: worker ${id} exited (${st.signal ?? st.code})`);
        this.#wakeup?.();
      }
    });
  }

  /** Stops the newest workers until `target` remain. */
  async #shrink(target: number): Promise<void> {
    if (this.#o.submit.system === "local") {
      const victims = [...this.#children.entries()].slice(target);
      for (const [id, child] of victims) {
        this.#log(`pool: stopping local ${id}`);
        try {
          child.kill("SIGTERM");
        } catch (e) {
          if (!(e instanceof TypeError)) throw e; // already exited
        }
      }
      await Promise.all(victims.map(([, c]) => c.status));
      return;
    }
    const victims = this.#jobs.slice(target);
    if (victims.length === 0) return;
    this.#log(`pool: cancelling ${victims.join(" ")}`);
    await cancelJobs(this.#o.submit.system, victims);
    this.#jobs = this.#jobs.slice(0, target);
  }

  /** Stops the pool and its workers (cancels its batch jobs). */
  close(): Promise<void> {
    this.#stopped = true;
    this.#wakeup?.();
    return this.#done;
  }

  /** Resolves when the pool has stopped. */
  closed(): Promise<void> {
    return this.#done;
  }

  /** Same as {@linkcode Pool.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
