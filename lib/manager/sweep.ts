/**
 * The manager's periodic sweep, on a {@linkcode Clock}: fast abort of the
 * stragglers, then the keepalive decision for every worker. The sweep only
 * decides; its {@linkcode SweepHost} acts.
 *
 * @module
 */

import type { Clock, ClockTimer } from "../clock.ts";
import type { Task } from "../task.ts";
import type { Core } from "./core.ts";
import type { FastAbort } from "./fast_abort.ts";
import { keepaliveStep } from "./keepalive.ts";
import type { WorkerInfo } from "./worker_info.ts";

/** What the sweep reads and what it asks the manager to do. */
export interface SweepHost {
  /** Tasks on workers and the workers. */
  readonly core: Core;
  /** The fast-abort average and multiplier. */
  readonly fastAbort: FastAbort;
  /** Bytes read from and written to a worker's connection so far. */
  traffic(w: WorkerInfo): { read: number; written: number };
  /** Aborts a straggler, to run elsewhere. */
  abortStraggler(task: Task): void;
  /** Drops a worker that failed its keepalive. */
  removeWorker(w: WorkerInfo, reason: string): void;
  /** Sends a worker a keepalive `check`. */
  sendCheck(w: WorkerInfo): void;
}

/** The keepalive limits of {@linkcode sweep} (ms). */
export interface SweepLimits {
  /** How long a quiet worker goes before it is checked. */
  intervalMs: number;
  /** How long it may take to answer, or to finish its handshake. */
  timeoutMs: number;
}

/**
 * How often the sweep runs: every second, or four times per keepalive
 * interval or timeout when those are shorter (10 ms at least).
 *
 * @param limits The keepalive limits.
 * @returns The period (ms).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * assert.equal(sweepPeriodMs({ intervalMs: 30_000, timeoutMs: 30_000 }), 1000);
 * assert.equal(sweepPeriodMs({ intervalMs: 500, timeoutMs: 1000 }), 125);
 * ```
 */
export function sweepPeriodMs(limits: SweepLimits): number {
  return Math.min(1000, Math.max(10, Math.min(limits.intervalMs, limits.timeoutMs) / 4));
}

/**
 * One sweep: aborts the tasks that run past the fast-abort limit, then
 * checks quiet workers and drops those that do not answer in time.
 *
 * @param host The manager.
 * @param now The time (ms).
 * @param limits The keepalive limits.
 */
export function sweep(host: SweepHost, now: number, limits: SweepLimits): void {
  const { core, fastAbort } = host;
  if (fastAbort.limit() !== undefined) {
    const onWorkers = [...core.dispatches.keys()].map((id) => core.tasks.get(id)!);
    for (const t of fastAbort.stragglers(onWorkers, now)) host.abortStraggler(t);
  }
  for (const w of [...core.workers.values()]) {
    const { read, written } = host.traffic(w);
    const act = keepaliveStep(w, { now, read, written, ...limits });
    if (act.kind === "remove") host.removeWorker(w, act.reason);
    else if (act.kind === "check") host.sendCheck(w);
  }
}

/**
 * Runs {@linkcode sweep} on `clock` every {@linkcode sweepPeriodMs}.
 *
 * @param clock The clock that times the sweeps and tells the time.
 * @param host The manager.
 * @param limits The keepalive limits.
 * @returns The timer; cancel it to stop sweeping.
 */
export function startSweep(clock: Clock, host: SweepHost, limits: SweepLimits): ClockTimer {
  return clock.setInterval(() => sweep(host, clock.now(), limits), sweepPeriodMs(limits));
}
