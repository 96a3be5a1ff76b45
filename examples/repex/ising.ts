/**
 * The Metropolis sweeps of `ising.awk`, as a library of functions
 * (docs/functions.md): `functions.ts` beside this file installs it, and each
 * worker imports it once. The same input gives the same output as the awk
 * program, spin for spin: the same Park-Miller random numbers, the same
 * order of sites, the same acceptance test.
 *
 * @module
 */

/** One replica's step: what `replica.in` holds for ising.awk. */
export interface SweepInput {
  /** Lattice side L. */
  size: number;
  /** Temperature T > 0. */
  temperature: number;
  /** Monte Carlo sweeps to run. */
  sweeps: number;
  /** 1 .. 2147483646: seeds the random numbers. */
  seed: number;
  /** L*L characters, `+` or `-`, row by row. */
  spins: string;
}

/** What `replica.out` holds: the energy, the magnetisation, the accepted flips and the new spins. */
export interface SweepOutput {
  energy: number;
  magnetization: number;
  accepted: number;
  spins: string;
}

/**
 * Runs the sweeps.
 *
 * @param input The replica and its parameters.
 * @returns Its new configuration and what it measures.
 * @throws {RangeError} For a parameter out of range, as ising.awk refuses it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const out = sweep({ size: 2, temperature: 1, sweeps: 0, seed: 1, spins: "++++" });
 * assert.deepEqual(out, { energy: -8, magnetization: 4, accepted: 0, spins: "++++" });
 * ```
 */
export function sweep(input: SweepInput): SweepOutput {
  const { size: L, temperature: T, sweeps } = input;
  let x = input.seed;
  if (!Number.isInteger(L) || L < 2) {
    throw new RangeError(`L must be a whole number >= 2, not ${L}`);
  }
  if (!(T > 0)) throw new RangeError(`temperature must be > 0, not ${T}`);
  if (!Number.isInteger(sweeps) || sweeps < 0) throw new RangeError(`bad sweeps ${sweeps}`);
  if (!Number.isInteger(x) || x < 1 || x > 2147483646) throw new RangeError(`bad seed ${x}`);
  const n = L * L;
  if (input.spins.length !== n || !/^[+-]*$/.test(input.spins)) {
    throw new RangeError(`spins must be ${n} of + and -`);
  }
  const s = Int8Array.from(input.spins, (c) => (c === "+" ? 1 : -1));
  const right = new Int32Array(n), left = new Int32Array(n);
  const down = new Int32Array(n), up = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const r = Math.floor(i / L), c = i % L;
    right[i] = r * L + (c + 1) % L;
    left[i] = r * L + (c + L - 1) % L;
    down[i] = ((r + 1) % L) * L + c;
    up[i] = ((r + L - 1) % L) * L + c;
  }
  const M = 2147483647;
  const a4 = Math.exp(-4 / T) * M, a8 = Math.exp(-8 / T) * M;
  let accepted = 0;
  for (let k = 0; k < sweeps; k++) {
    for (let i = 0; i < n; i++) {
      const dE = 2 * s[i] * (s[right[i]] + s[left[i]] + s[down[i]] + s[up[i]]);
      if (dE > 0) {
        x = (x * 16807) % M; // exact in double precision: x * 16807 < 2^46
        if (x >= (dE === 4 ? a4 : a8)) continue;
      }
      s[i] = -s[i];
      accepted++;
    }
  }
  let energy = 0, magnetization = 0, spins = "";
  for (let i = 0; i < n; i++) {
    energy -= s[i] * (s[right[i]] + s[down[i]]);
    magnetization += s[i];
    spins += s[i] > 0 ? "+" : "-";
  }
  return { energy, magnetization, accepted, spins };
}
