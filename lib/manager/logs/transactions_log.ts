/**
 * CCTools' transactions log: one line per event of interest (the manager
 * starting and ending, workers connecting and leaving, each move of each
 * task), `<time_us> <pid> <WHAT> …`, in the format of Debian's CCTools 9.9
 * (docs/logs.md). It formats lines into a {@linkcode LogFile}'s buffer and
 * never waits, so the reactor may call it from `Core.transition()`.
 *
 * @module
 */

import { kInternal, type Task, type TaskState } from "../../task.ts";
import type { Core } from "../core.ts";
import type { QueueEvent } from "../queue_event.ts";
import { measuredJson, resourcesJson, resultName, TRANSACTIONS_HEADER } from "./cctools_format.ts";
import type { LogFile } from "./log_file.ts";

/** Options of {@linkcode TransactionsLog}. */
export interface TransactionsLogOptions {
  /** The time now, in microseconds since the epoch. */
  nowUs: () => number;
  /** The manager's process id (CCTools writes its own). Default `Deno.pid`. */
  pid?: number;
}

/** How a worker left, as CCTools names it. */
const LEFT: Readonly<Record<string, string>> = {
  lost: "FAILURE",
  removed: "EXPLICIT",
  released: "EXPLICIT",
  "fast-aborted": "FAST_ABORT",
};

/**
 * Writes a transactions log.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Task } from "../../task.ts";
 * import { Core } from "../core.ts";
 * import { LogFile } from "./log_file.ts";
 *
 * const path = await Deno.makeTempFile();
 * const file = new LogFile(path);
 * const core = new Core();
 * const tx = new TransactionsLog(file, core, { nowUs: () => 1_000_000, pid: 42 });
 * const task = new Task("true").specifyCores(1);
 * task.id = 1;
 * core.transition(task, "ready");
 * tx.end();
 * await file.close();
 * const lines = (await Deno.readTextFile(path)).split("\n").filter((l) => /^\d/.test(l));
 * assert.deepEqual(lines, [
 *   "1000000 42 MANAGER START",
 *   '1000000 42 TASK 1 WAITING default FIRST_RESOURCES {"cores":[1,"cores"]}',
 *   "1000000 42 MANAGER END",
 * ]);
 * await Deno.remove(path);
 * ```
 */
export class TransactionsLog {
  readonly #file: LogFile;
  readonly #core: Core;
  readonly #nowUs: () => number;
  readonly #pid: number;
  /** The CCTools worker id of each joined worker, by the manager's id. */
  readonly #workerIds = new Map<number, string>();
  readonly #before: Core["onMove"];

  /**
   * Writes the header and `MANAGER START`, and from then on a line for each
   * task move of `core` (it wraps `core.onMove`).
   *
   * @param file Where the lines go.
   * @param core The books whose moves are logged.
   * @param options The clock and the pid.
   */
  constructor(file: LogFile, core: Core, options: TransactionsLogOptions) {
    this.#file = file;
    this.#core = core;
    this.#nowUs = options.nowUs;
    this.#pid = options.pid ?? Deno.pid;
    file.append(TRANSACTIONS_HEADER);
    this.#write("MANAGER START");
    const before = this.#before = core.onMove;
    core.onMove = (task, from, to) => {
      before?.(task, from, to);
      this.move(task, from, to);
    };
  }

  #write(what: string): void {
    this.#file.append(`${Math.round(this.#nowUs())} ${this.#pid} ${what}\n`);
  }

  /**
   * Logs a task's move (`Core.onMove`). `sending` and `returned` after
   * `run()` have no line of their own in CCTools: a task is RUNNING once its
   * inputs and command are queued to the worker.
   *
   * @param task The task.
   * @param from Its state before.
   * @param to Its state now.
   */
  move(task: Task, from: TaskState | undefined, to: TaskState): void {
    const id = task.id;
    switch (to) {
      case "ready":
        return this.#write(
          `TASK ${id} WAITING ${task.category} ${labelOf(task, false)} ${
            resourcesJson(task.resources)
          }`,
        );
      case "running": {
        const d = this.#core.dispatches.get(id);
        if (!d) return;
        return this.#write(
          `TASK ${id} RUNNING ${d.worker.addr}  ${labelOf(task, true)} ${resourcesJson(d.alloc)}`,
        );
      }
      case "receiving": {
        const addr = this.#core.dispatches.get(id)?.worker.addr ?? "worker-info-not-available";
        return this.#write(`TASK ${id} WAITING_RETRIEVAL ${addr} `);
      }
      case "complete":
        return this.#write(`TASK ${id} RETRIEVED ${this.#ending(task)}`);
      case "returned":
        if (from !== "complete") return;
        return this.#write(`TASK ${id} DONE ${this.#ending(task)}`);
      case "cancelled":
        return this.#write(`TASK ${id} CANCELED`);
    }
  }

  #ending(task: Task): string {
    const r = task[kInternal].record;
    const limits = r.exhausted
      ? resourcesJson({ [r.exhausted.resource]: r.exhausted.limitMB })
      : "{}";
    return `${resultName(task.result)}  ${task.returnStatus ?? -1}  ${limits} ${
      measuredJson(r.measured)
    }`;
  }

  /**
   * Logs a worker's arrival (with its resources) or departure.
   *
   * @param e Any queue event; the others are ignored.
   */
  event(e: QueueEvent): void {
    if (e.type === "worker-joined") {
      const w = e.worker;
      const info = this.#core.workers.get(w.id);
      const wid = info?.workerId || `worker-${w.id}`;
      this.#workerIds.set(w.id, wid);
      this.#write(`WORKER ${wid} ${w.host}  CONNECTION`);
      const res = resourcesJson({ memory: w.memory, disk: w.disk, cores: w.cores });
      this.#write(`WORKER ${wid} RESOURCES ${res}`);
    } else if (e.type === "worker-left") {
      const wid = this.#workerIds.get(e.worker.id) ?? `worker-${e.worker.id}`;
      this.#workerIds.delete(e.worker.id);
      this.#write(`WORKER ${wid} ${e.worker.host}  DISCONNECTION ${LEFT[e.reason] ?? "UNKNOWN"}`);
    }
  }

  /** Writes `MANAGER END` and stops following the books' moves. */
  end(): void {
    this.#core.onMove = this.#before;
    this.#write("MANAGER END");
  }
}

/**
 * `FIRST_RESOURCES`, or `MAX_RESOURCES` for a task that asks for its
 * category's maximum (`dispatched`: or was sized with it, its category not
 * yet steady).
 */
function labelOf(task: Task, dispatched: boolean): string {
  const i = task[kInternal];
  return i.label === "max" || (dispatched && i.sizedAs === "max")
    ? "MAX_RESOURCES"
    : "FIRST_RESOURCES";
}
