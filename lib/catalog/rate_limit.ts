/**
 * Per-source flood control for catalog updates: one token bucket per sender
 * address, with a bound on how many senders are tracked.
 *
 * @module
 */

/** Options of {@linkcode RateLimiter}. */
export interface RateLimiterOptions {
  /** Tokens added per second per source (updates allowed per second, on average). */
  ratePerSecond: number;
  /** Bucket size: how many updates a source may send at once. */
  burst: number;
  /** The most sources tracked; idle ones are forgotten first. Default 10000. */
  maxSources?: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Token buckets keyed by source address.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RateLimiter } from "./rate_limit.ts";
 * const limit = new RateLimiter({ ratePerSecond: 1, burst: 2 });
 * assert.equal(limit.allow("10.0.0.1", 0), true);
 * assert.equal(limit.allow("10.0.0.1", 0), true);
 * assert.equal(limit.allow("10.0.0.1", 0), false); // the burst is spent
 * assert.equal(limit.allow("10.0.0.2", 0), true); // another source has its own bucket
 * assert.equal(limit.allow("10.0.0.1", 1000), true); // one token back after a second
 * assert.equal(limit.allow("10.0.0.1", 1000), false); // and only one
 * ```
 */
export class RateLimiter {
  #rate: number;
  #burst: number;
  #max: number;
  #buckets = new Map<string, Bucket>();

  /** @param options Rate, burst and the bound on sources. */
  constructor(options: RateLimiterOptions) {
    if (!(options.ratePerSecond >= 0) || !(options.burst >= 1)) {
      throw new RangeError(
        `Cannot limit updates: rate must be >= 0 and burst >= 1, got ${options.ratePerSecond} and ${options.burst}`,
      );
    }
    this.#rate = options.ratePerSecond;
    this.#burst = options.burst;
    this.#max = options.maxSources ?? 10_000;
  }

  /**
   * Takes one token from a source's bucket.
   *
   * @param source The sender's address.
   * @param now The time, in ms.
   * @returns Whether the update may go on (false: drop it).
   */
  allow(source: string, now: number): boolean {
    let b = this.#buckets.get(source);
    if (b) {
      b.tokens = Math.min(this.#burst, b.tokens + ((now - b.at) / 1000) * this.#rate);
      b.at = now;
    } else {
      if (this.#buckets.size >= this.#max) this.#forget(now);
      b = { tokens: this.#burst, at: now };
      this.#buckets.set(source, b);
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Drops the buckets that have refilled (their sources are idle), else the oldest. */
  #forget(now: number): void {
    for (const [k, b] of this.#buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.#rate >= this.#burst) this.#buckets.delete(k);
    }
    if (this.#buckets.size >= this.#max) {
      const oldest = this.#buckets.keys().next();
      if (!oldest.done) this.#buckets.delete(oldest.value);
    }
  }
}
