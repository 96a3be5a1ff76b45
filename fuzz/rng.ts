/**
 * A small seeded random generator (sfc32), so that every fuzz case can be
 * replayed from its seed.
 *
 * @module
 */

/**
 * Mixes numbers into one 32-bit seed (for per-case seeds).
 *
 * @param parts Numbers or strings.
 * @returns A 32-bit unsigned integer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(mixSeed(1, "worker", 7), mixSeed(1, "worker", 7));
 * assert.notEqual(mixSeed(1, "worker", 7), mixSeed(1, "worker", 8));
 * ```
 */
export function mixSeed(...parts: (number | string)[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    const s = String(p) + "\u0000";
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return h >>> 0;
}

/**
 * Deterministic random numbers from a 32-bit seed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const a = new Rng(42), b = new Rng(42);
 * const draws = [a.int(1000), a.int(1000), a.int(1000)];
 * assert.deepEqual([b.int(1000), b.int(1000), b.int(1000)], draws);
 * assert.ok(draws.every((n) => Number.isInteger(n) && n >= 0 && n < 1000), `${draws}`);
 * ```
 */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** @param seed Any 32-bit integer. */
  constructor(seed: number) {
    this.#a = 0x9e3779b9;
    this.#b = 0x243f6a88;
    this.#c = 0xb7e15162;
    this.#d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }

  /** A number in [0, 1). */
  next(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }

  /** `n` random bytes. */
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}
