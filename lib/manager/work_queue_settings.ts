/**
 * `WorkQueueSettings`: the settings of a `WorkQueue`, which extends it: the
 * project name, catalog, uplink, passwords and logs, the scheduling
 * algorithm, fast abort, blocked hosts and categories, and `explain()`.
 * Each method checks its arguments and hands over to the parts made in
 * `queue_parts.ts` (through `queue_settings.ts` and `queue_categories.ts`).
 *
 * @module
 */

import { readPasswordFile } from "../wire/secure_client.ts";
import { passwordBytes } from "./access.ts";
import type { QueueParts } from "./queue_parts.ts";
import {
  blockHostIn,
  checkProjectName,
  checkUplink,
  explainIn,
  setAlgorithm,
  setFastAbort,
} from "./queue_settings.ts";
import {
  type CategoryResources,
  type CategoryStats,
  categoryStatsIn,
  setCategoryMode,
  setCategoryResources,
} from "./queue_categories.ts";

/** Each queue's parts, kept out of the public class (their types are internal). */
const PARTS = new WeakMap<WorkQueueSettings, QueueParts>();

/**
 * Gives a queue's settings methods the parts they act on; `WorkQueue`'s
 * constructor calls it once.
 *
 * @param queue The queue.
 * @param parts Its parts.
 */
export function attachParts(queue: WorkQueueSettings, parts: QueueParts): void {
  PARTS.set(queue, parts);
}

/**
 * The settings of a {@linkcode WorkQueue}, which extends this class: its
 * name, catalog, passwords and logs, and how it schedules. Applications
 * make `WorkQueue`s, never this class.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { WorkQueue } from "../../mod.ts";
 *
 * await using wq = new WorkQueue({ port: 0 });
 * assert.ok(wq instanceof WorkQueueSettings);
 * assert.equal(wq.name, undefined);
 * assert.throws(() => wq.specifyAlgorithm(7), RangeError);
 * ```
 */
export abstract class WorkQueueSettings {
  #name: string | undefined;
  #uplink: string | undefined;

  /**
   * @param name The project name, if any (the `name` option).
   */
  constructor(name: string | undefined) {
    this.#name = name;
  }

  /** The parts the settings act on, which `WorkQueue` made and attached. */
  get #p(): QueueParts {
    const p = PARTS.get(this);
    if (!p) throw new Error("Cannot change a setting: this queue has no parts (make a WorkQueue)");
    return p;
  }

  /** The manager this queue serves as a foreman, as {@linkcode setUplink} set it. */
  protected get uplink(): string | undefined {
    return this.#uplink;
  }

  /** The project name, if the manager has one. */
  get name(): string | undefined {
    return this.#name;
  }

  /**
   * Names the project and starts advertising it to the catalogs.
   *
   * @param name The project name; workers find it with `-M NAME`.
   */
  specifyName(name: string): void {
    checkProjectName(name);
    this.#name = name;
    if (this.#p.advertiser.running) this.#p.advertiser.refresh();
    else this.#p.advertiser.start();
  }

  /**
   * Sets the catalog to advertise to (replacing CATALOG_HOST/CATALOG_PORT and
   * the `catalog` option).
   *
   * @param host The catalog's host, or a `host:port[,host:port]` list.
   * @param port Its port (default 9097).
   * @throws {TypeError} If the address is not a `host:port` list.
   */
  specifyCatalogServer(host: string, port?: number): void {
    this.#p.advertiser.setCatalog(port === undefined ? host : `${host}:${port}`);
    this.#p.advertiser.refresh();
  }

  /**
   * For a foreman built on this queue: the manager it serves, `IP:PORT` (the
   * remote address of its connection there), or `null` once it is gone. A
   * named queue advertises it as `my_manager` (sending an update now), as
   * CCTools' foreman does, so that `wq-status` and `work_queue_status` list
   * it under that manager; `queue_status` answers carry it too.
   *
   * @param address `IP:PORT`, or `null`.
   * @throws {TypeError} If it is neither.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { WorkQueue } from "../../mod.ts";
   * await using wq = new WorkQueue({ port: 0 });
   * wq.setUplink("127.0.0.1:9123");
   * assert.throws(() => wq.setUplink("127.0.0.1"), TypeError);
   * wq.setUplink(null);
   * ```
   */
  setUplink(address: string | null): void {
    this.#uplink = checkUplink(address);
    this.#p.advertiser.refresh();
  }

  /**
   * Requires every new connection (workers and status queries) to prove it
   * knows this password, with CCTools' challenge-response exchange
   * (workers: `-P FILE`). Connections already in are not affected.
   *
   * @param password The password: text (as UTF-8) or bytes.
   * @throws {RangeError} If it is empty.
   */
  specifyPassword(password: string | Uint8Array): void {
    this.#p.server.password = passwordBytes(password, "password");
  }

  /**
   * Like {@linkcode specifyPassword}, with the whole content of a file
   * (trailing newline included), as CCTools' `specify_password_file` and
   * the workers' `-P FILE` read it.
   *
   * @param path The password file.
   * @throws {Error} If the file cannot be read or is empty.
   */
  specifyPasswordFile(path: string): void {
    this.#p.server.password = readPasswordFile(path, "specifyPasswordFile");
  }

  /**
   * Writes CCTools' statistics log to a file (appending; as `specify_log`):
   * a header naming the columns, then a line of counters whenever they
   * changed, at most once a second, for `work_queue_graph_log`. Replaces the
   * log written so far. See docs/logs.md.
   *
   * @param path The file.
   * @throws {Error} If it cannot be opened, or the queue is closed.
   */
  specifyLog(path: string): void {
    this.#p.logs.specifyLog(path);
  }

  /**
   * Writes CCTools' transactions log to a file (appending; as
   * `specify_transactions_log`): a line for the manager's start and end,
   * each worker's arrival and departure and each move of each task.
   * Replaces the log written so far. See docs/logs.md.
   *
   * @param path The file.
   * @throws {Error} If it cannot be opened, or the queue is closed.
   */
  specifyTransactionsLog(path: string): void {
    this.#p.logs.specifyTransactionsLog(path);
  }

  /**
   * Sets the scheduling algorithm for tasks that set none.
   *
   * @param algorithm One of `WORK_QUEUE_SCHEDULE_FCFS` (default), `_FILES`,
   * `_TIME`, `_RAND`, `_WORST` or `_PREFERRED_HOSTS`.
   * @throws {RangeError} If it is not one of those.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { WORK_QUEUE_SCHEDULE_FILES, WorkQueue } from "../../mod.ts";
   *
   * await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1" });
   * wq.specifyAlgorithm(WORK_QUEUE_SCHEDULE_FILES); // prefer workers that cache the inputs
   * assert.throws(() => wq.specifyAlgorithm(7), /7 is not a WORK_QUEUE_SCHEDULE_\* value/);
   * ```
   */
  specifyAlgorithm(algorithm: number): void {
    setAlgorithm(this.#p.r, algorithm);
  }

  /**
   * Turns on fast abort: once at least 10 tasks have succeeded, a running
   * task that takes longer than `multiplier` times their average is aborted
   * and run again on a different worker; a worker that is the slow one twice
   * in a row is told to exit.
   *
   * @param multiplier How many times the average; `-1` (or any value <= 0) turns it off.
   */
  activateFastAbort(multiplier: number): void {
    setFastAbort(this.#p.r, multiplier);
  }

  /**
   * Gives no more tasks to workers on a host (by host name or IP address).
   * Tasks already running there finish.
   *
   * @param host The host name the workers report, or their IP address.
   * @param seconds How long; forever if not given.
   */
  blockHost(host: string, seconds?: number): void {
    blockHostIn(this.#p.r, host, seconds);
  }

  /**
   * Lets a blocked host get tasks again.
   *
   * @param host The host name or address given to `blockHost`.
   * @returns Whether it was blocked.
   */
  unblockHost(host: string): boolean {
    const was = this.#p.r.blocks.unblock(host);
    this.#p.r.comm.askForScheduling();
    return was;
  }

  /**
   * Sets how a category's tasks are sized: `WORK_QUEUE_ALLOCATION_MODE_FIXED`
   * (the default: what each task declares), or an automatic mode, `_MAX`,
   * `_MIN_WASTE` or `_MAX_THROUGHPUT`: its first tasks run with the
   * category's maximum (a whole worker if none is set), then the manager
   * sizes the rest from what it measured. See docs/resources.md.
   *
   * @param name The category (`task.category`).
   * @param mode A `WORK_QUEUE_ALLOCATION_MODE_*` value.
   * @throws {RangeError} If the mode is not one of those.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { WORK_QUEUE_ALLOCATION_MODE_MAX, WorkQueue } from "../../mod.ts";
   *
   * await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1" });
   * wq.specifyCategoryMode("align", WORK_QUEUE_ALLOCATION_MODE_MAX);
   * wq.specifyCategoryMaxResources("align", { cores: 2, memory: 4000 });
   * const s = wq.categoryStats("align");
   * assert.equal(s.modeName, "max");
   * assert.deepEqual(s.maxResources, { cores: 2, memory: 4000 });
   * assert.throws(() => wq.specifyCategoryMode("align", 9), /9 is not a WORK_QUEUE_ALLOCATION_MODE_/);
   * ```
   */
  specifyCategoryMode(name: string, mode: number): void {
    setCategoryMode(this.#p.r, name, mode);
  }

  /**
   * Sets a category's maximum: what its tasks run with before it is
   * measured, and after they run out at their first allocation; what a
   * task declares itself still wins. Unset amounts: the whole worker.
   *
   * @param name The category.
   * @param resources `cores`, `memory` (MB), `disk` (MB), `gpus`.
   * @throws {TypeError} For an unknown resource; {RangeError} for a negative amount.
   */
  specifyCategoryMaxResources(name: string, resources: CategoryResources): void {
    setCategoryResources(this.#p.r, name, "max", resources);
  }

  /**
   * Sets a category's minimum: no task of it is sized below it.
   *
   * @param name The category.
   * @param resources `cores`, `memory` (MB), `disk` (MB), `gpus`.
   * @throws {TypeError} For an unknown resource; {RangeError} for a negative amount.
   */
  specifyCategoryMinResources(name: string, resources: CategoryResources): void {
    setCategoryResources(this.#p.r, name, "min", resources);
  }

  /**
   * Gives an automatic category its first allocation at once, instead of
   * measuring its first tasks with the maximum.
   *
   * @param name The category.
   * @param resources `cores`, `memory` (MB), `disk` (MB), `gpus`.
   * @throws {TypeError} For an unknown resource; {RangeError} for a negative amount.
   */
  specifyCategoryFirstAllocationGuess(name: string, resources: CategoryResources): void {
    setCategoryResources(this.#p.r, name, "first", resources);
  }

  /**
   * What the manager learned about a category: its mode and limits, what
   * its tasks were measured using, the first allocation it sizes them
   * with, and its task counts.
   *
   * @param name The category.
   * @returns A snapshot.
   */
  categoryStats(name: string): CategoryStats {
    return categoryStatsIn(this.#p.r, name);
  }

  /**
   * Says in words where a task is and, if it waits, why.
   *
   * @param taskId The task's id.
   * @returns A sentence such as "task 17 needs 8 cores; the largest worker has 4".
   */
  explain(taskId: number): string {
    return explainIn(this.#p.r, taskId);
  }
}
