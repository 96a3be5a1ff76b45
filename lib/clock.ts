/**
 * The clock seam: the time and the timers that timing logic reads, so that
 * tests can drive that logic in milliseconds instead of waiting real
 * seconds. {@linkcode realClock} is the default everywhere;
 * {@linkcode ManualClock} moves only when a test calls `advance()`.
 *
 * @module
 */

/** A timer started by a {@linkcode Clock}. */
export interface ClockTimer {
  /** Stops it; it will not fire (again). */
  cancel(): void;
}

/** The time (ms) and timers, as timing logic sees them. */
export interface Clock {
  /** The time now, in ms (the epoch's for the real clock). */
  now(): number;
  /**
   * Calls `fn` once, `ms` from now. A real timer does not keep the process
   * alive (it is unref'd).
   */
  setTimeout(fn: () => void, ms: number): ClockTimer;
  /** Calls `fn` every `ms` until cancelled (unref'd, as `setTimeout`). */
  setInterval(fn: () => void, ms: number): ClockTimer;
}

/**
 * The real clock: `Date.now()` and unref'd timers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * let fired = false;
 * const t = realClock.setTimeout(() => fired = true, 0);
 * t.cancel();
 * await new Promise((r) => setTimeout(r, 10));
 * assert.equal(fired, false);
 * const before = Date.now();
 * const now = realClock.now();
 * assert.ok(before <= now && now <= Date.now());
 * ```
 */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const id = setTimeout(fn, ms);
    id.unref();
    return { cancel: () => clearTimeout(id) };
  },
  setInterval(fn, ms) {
    const id = setInterval(fn, ms);
    id.unref();
    return { cancel: () => clearInterval(id) };
  },
};

interface ManualTimer {
  at: number;
  /** Creation order, to break ties. */
  seq: number;
  fn: () => void;
  /** The period of an interval, or 0 for a one-shot timer. */
  every: number;
  cancelled: boolean;
}

/**
 * A clock for tests: time stands still until `advance()` moves it, and the
 * timers that fall due on the way run then, in order, each with `now()` at
 * its due time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * const clock = new ManualClock();
 * const seen: number[] = [];
 * clock.setInterval(() => seen.push(clock.now()), 1000);
 * clock.setTimeout(() => seen.push(-clock.now()), 1500);
 * clock.advance(3000);
 * assert.deepEqual(seen, [1000, -1500, 2000, 3000]);
 * ```
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: ManualTimer[] = [];

  /** @param start The time it shows at first (ms). */
  constructor(start = 0) {
    this.#now = start;
  }

  /** The time now (ms). */
  now(): number {
    return this.#now;
  }

  /** How many timers are waiting to fire. */
  get pending(): number {
    return this.#timers.filter((t) => !t.cancelled).length;
  }

  /** Starts a one-shot timer. */
  setTimeout(fn: () => void, ms: number): ClockTimer {
    return this.#add(fn, ms, 0);
  }

  /** Starts an interval timer. */
  setInterval(fn: () => void, ms: number): ClockTimer {
    if (!(ms > 0)) {
      throw new RangeError(`Cannot start interval: period must be positive, got ${ms}`);
    }
    return this.#add(fn, ms, ms);
  }

  #add(fn: () => void, ms: number, every: number): ClockTimer {
    const t: ManualTimer = {
      at: this.#now + Math.max(0, ms),
      seq: this.#seq++,
      fn,
      every,
      cancelled: false,
    };
    this.#timers.push(t);
    return {
      cancel: () => {
        t.cancelled = true;
        this.#timers = this.#timers.filter((x) => x !== t);
      },
    };
  }

  /**
   * Moves time forward, running every timer that falls due up to the new
   * time (including timers those timers start).
   *
   * @param ms How far (>= 0).
   * @throws {RangeError} If `ms` is negative.
   */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`Cannot advance clock: ms must be >= 0, got ${ms}`);
    const end = this.#now + ms;
    for (;;) {
      let next: ManualTimer | undefined;
      for (const t of this.#timers) {
        if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) {
          next = t;
        }
      }
      if (!next) break;
      this.#now = next.at;
      if (next.every > 0) {
        next.at += next.every;
        next.seq = this.#seq++;
      } else {
        this.#timers = this.#timers.filter((x) => x !== next);
      }
      next.fn();
    }
    this.#now = end;
  }
}
