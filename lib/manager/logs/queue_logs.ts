/**
 * A manager's CCTools-compatible logs: the statistics log
 * (`specifyLog`, {@linkcode StatsLog}) and the transactions log
 * (`specifyTransactionsLog`, {@linkcode TransactionsLog}). Lines are
 * formatted into memory as things happen; a timer on the manager's clock
 * samples the statistics and flushes both files once a second, and
 * `close()` writes the last sample, `MANAGER END`, and flushes.
 *
 * @module
 */

import { type Clock, type ClockTimer, realClock } from "../../clock.ts";
import type { Core } from "../core.ts";
import type { Logger } from "../options.ts";
import type { QueueEvent } from "../queue_event.ts";
import type { WorkQueueStats } from "../stats.ts";
import { LogFile } from "./log_file.ts";
import { StatsLog } from "./stats_log.ts";
import { TransactionsLog } from "./transactions_log.ts";

/** Milliseconds between statistics samples and flushes (CCTools: at most one line a second). */
export const LOG_INTERVAL_MS = 1000;

/** What {@linkcode QueueLogs} reads and follows. */
export interface QueueLogsOptions {
  /** The books. */
  core: Core;
  /** The manager's clock. */
  clock: Clock;
  /** The queue's counters now. */
  stats: () => WorkQueueStats;
  /** Subscribes to the queue's events; returns the unsubscribe. */
  subscribe: (listener: (e: QueueEvent) => void) => () => void;
  /** When the manager started (ms since the epoch). */
  startedAt: number;
  /** Where a failed write is reported. */
  log: Logger;
}

/**
 * The time in microseconds: the real clock's with sub-millisecond
 * precision, another clock's `now()` times 1000.
 */
function microseconds(clock: Clock): () => number {
  if (clock !== realClock) return () => clock.now() * 1000;
  return () => Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/**
 * The two logs of one manager.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { realClock } from "../../clock.ts";
 * import { Core } from "../core.ts";
 * import { computeStats } from "../stats.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const core = new Core();
 * const extra = { tasksUnfittable: 0, hostsBlocked: [], liveBytesSent: 0, liveBytesReceived: 0 };
 * const logs = new QueueLogs({
 *   core,
 *   clock: realClock,
 *   stats: () => computeStats(core, extra),
 *   subscribe: () => () => {},
 *   startedAt: Date.now(),
 *   log: () => {},
 * });
 * logs.specifyTransactionsLog(`${dir}/tx.log`);
 * await logs.close();
 * assert.match(await Deno.readTextFile(`${dir}/tx.log`), / MANAGER END\n$/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class QueueLogs {
  readonly #o: QueueLogsOptions;
  readonly #nowUs: () => number;
  #stats: { file: LogFile; log: StatsLog } | undefined;
  #tx: { file: LogFile; log: TransactionsLog } | undefined;
  #timer: ClockTimer | undefined;
  #unsubscribe: (() => void) | undefined;
  #closing: Promise<void> | undefined;
  /** Files replaced by a later `specify…`, closing. */
  readonly #retired: Promise<void>[] = [];

  /** @param options The books, the clock, the counters, the events. */
  constructor(options: QueueLogsOptions) {
    this.#o = options;
    this.#nowUs = microseconds(options.clock);
  }

  #file(path: string): LogFile {
    if (this.#closing) throw new Error(`Cannot open log '${path}': the queue is closed`);
    return new LogFile(path, { onError: (m) => this.#o.log("warn", m) });
  }

  #start(): void {
    this.#unsubscribe ??= this.#o.subscribe((e) => {
      this.#tx?.log.event(e);
      this.#stats?.log.event(e);
    });
    this.#timer ??= this.#o.clock.setInterval(() => this.#tick(), LOG_INTERVAL_MS);
  }

  #tick(): void {
    this.#stats?.log.sample();
    this.#stats?.file.flush();
    this.#tx?.file.flush();
  }

  /**
   * Starts the statistics log at `path` (appending), replacing the one
   * written so far, if any (which is closed).
   *
   * @param path The file.
   * @throws {Error} If it cannot be opened, or the queue is closed.
   */
  specifyLog(path: string): void {
    const file = this.#file(path);
    if (this.#stats) this.#retired.push(this.#stats.file.close());
    const { core, stats, startedAt } = this.#o;
    const log = new StatsLog(file, {
      core,
      stats,
      nowUs: this.#nowUs,
      startedUs: startedAt * 1000,
    });
    this.#stats = { file, log };
    this.#start();
  }

  /**
   * Starts the transactions log at `path` (appending), replacing the one
   * written so far, if any (which gets `MANAGER END` and is closed).
   *
   * @param path The file.
   * @throws {Error} If it cannot be opened, or the queue is closed.
   */
  specifyTransactionsLog(path: string): void {
    const file = this.#file(path);
    if (this.#tx) {
      this.#tx.log.end();
      this.#retired.push(this.#tx.file.close());
    }
    const log = new TransactionsLog(file, this.#o.core, { nowUs: this.#nowUs });
    this.#tx = { file, log };
    this.#start();
  }

  /**
   * Writes a last sample and `MANAGER END`, flushes and closes both files.
   * Calling it again returns the same promise.
   *
   * @returns When the files are closed.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#timer?.cancel();
      this.#unsubscribe?.();
      this.#stats?.log.sample(true);
      this.#tx?.log.end();
      await Promise.all([this.#stats?.file.close(), this.#tx?.file.close(), ...this.#retired]);
    })();
    return this.#closing;
  }
}
