/**
 * When a manager sends its catalog update: at once when it starts, every
 * interval after that, and soon after something worth telling (its first
 * task, a worker joining or leaving), but never sooner than a minimum gap
 * after the last update. Pure timing on an injected clock: the sending is
 * the `fire` callback's business.
 *
 * @module
 */

import type { Clock, ClockTimer } from "../clock.ts";

/** Options of {@linkcode AdvertiseSchedule}. */
export interface AdvertiseScheduleOptions {
  /** The time and timers. */
  clock: Clock;
  /** Time between periodic updates (ms). */
  intervalMs: number;
  /** The least time between two updates that `soon()` asks for (ms). */
  minGapMs: number;
  /** Sends an update. */
  fire: () => void;
}

/**
 * Decides when to send catalog updates.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ManualClock } from "../clock.ts";
 *
 * const clock = new ManualClock();
 * const fired: number[] = [];
 * const s = new AdvertiseSchedule({
 *   clock, intervalMs: 60_000, minGapMs: 5_000, fire: () => fired.push(clock.now()),
 * });
 * s.start(); // fires at 0
 * clock.advance(1_000);
 * s.soon(); // a worker joined: not before 5 000
 * s.soon(); // coalesced
 * clock.advance(10_000);
 * assert.deepEqual(fired, [0, 5_000]);
 * s.stop();
 * ```
 */
export class AdvertiseSchedule {
  readonly #o: AdvertiseScheduleOptions;
  #interval: ClockTimer | undefined;
  #soon: ClockTimer | undefined;
  #last = -Infinity;

  /** @param options Clock, interval, minimum gap and what to call. */
  constructor(options: AdvertiseScheduleOptions) {
    this.#o = options;
  }

  /** Whether it has started and not stopped. */
  get running(): boolean {
    return this.#interval !== undefined;
  }

  /** Fires now, then every interval. Does nothing if already started. */
  start(): void {
    if (this.#interval) return;
    this.#interval = this.#o.clock.setInterval(() => this.#fire(), this.#o.intervalMs);
    this.#fire();
  }

  /**
   * Fires once, as soon as the minimum gap since the last update allows
   * (at once, on the clock's next timer turn, if it has passed). Requests
   * made before it fires are one. Does nothing unless started.
   */
  soon(): void {
    if (!this.#interval || this.#soon) return;
    const wait = Math.max(0, this.#last + this.#o.minGapMs - this.#o.clock.now());
    this.#soon = this.#o.clock.setTimeout(() => {
      this.#soon = undefined;
      this.#fire();
    }, wait);
  }

  /** Fires now (an update asked for by the application), counting for the gap. */
  now(): void {
    this.#fire();
  }

  /** Cancels every timer; nothing fires after this. */
  stop(): void {
    this.#interval?.cancel();
    this.#soon?.cancel();
    this.#interval = this.#soon = undefined;
  }

  #fire(): void {
    this.#last = this.#o.clock.now();
    this.#o.fire();
  }
}
