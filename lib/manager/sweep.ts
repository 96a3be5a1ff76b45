/**
 * When the manager sweeps: the timer of the reactor's `onSweepTick`
 * (keepalive checks, fast abort, blocks that run out), and how often it
 * runs for given keepalive limits.
 *
 * @module
 */

import type { Clock, ClockTimer } from "../clock.ts";

/** The keepalive limits of the sweep (ms). */
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
 * Runs `tick` (the reactor's `onSweepTick`) on `clock` every
 * {@linkcode sweepPeriodMs}.
 *
 * @param clock The clock that times the sweeps.
 * @param tick One sweep.
 * @param limits The keepalive limits.
 * @returns The timer; cancel it to stop sweeping.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ManualClock } from "../clock.ts";
 *
 * const clock = new ManualClock();
 * let sweeps = 0;
 * const timer = startSweep(clock, () => sweeps++, { intervalMs: 1000, timeoutMs: 2000 });
 * clock.advance(1000);
 * assert.equal(sweeps, 4);
 * timer.cancel();
 * ```
 */
export function startSweep(clock: Clock, tick: () => void, limits: SweepLimits): ClockTimer {
  return clock.setInterval(tick, sweepPeriodMs(limits));
}
