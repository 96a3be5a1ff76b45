/**
 * The command-line options shared by `repex.ts` and `elastic.ts`, and their
 * checks: each bad value gets an error that names its option.
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { RepexOptions } from "./replica_exchange.ts";

/** Defaults of the shared options, as strings (as `parseArgs` takes them). */
export interface RepexDefaults {
  replicas: string;
  steps: string;
  sweeps: string;
  size: string;
  tmin: string;
  tmax: string;
  seed: string;
  pad: string;
  out: string;
}

/** The defaults of `repex.ts`; `elastic.ts` changes some. */
export const REPEX_DEFAULTS: RepexDefaults = {
  replicas: "16",
  steps: "20",
  sweeps: "200",
  size: "16",
  tmin: "1.5",
  tmax: "3.5",
  seed: "1",
  pad: "0",
  out: "repex-out",
};

/** The help lines of the shared options. */
export const REPEX_HELP = `  --replicas N   replicas, one per temperature (>= 2)
  --steps N      Monte Carlo steps
  --sweeps N     Metropolis sweeps per task (the time a task computes)
  --size L       lattice side: L x L spins
  --tmin T       lowest temperature
  --tmax T       highest temperature (temperatures are geometric in between)
  --seed N       seed of every random choice: the same seed gives the same physics
  --pad S        seconds each task sleeps after its sweeps (stands in for a longer
                 simulation; 0 for none)
  --out DIR      where the CSV files and replica files go`;

/** The shared options, checked. */
export interface RepexRun {
  /** The run's parameters (replica files go to `OUT/replicas`). */
  options: RepexOptions;
  /** The output directory. */
  out: string;
}

/**
 * Reads the command line: the shared options with these defaults, and the
 * program's own (`extra`, all taking a value), which `parse` checks. Prints
 * the usage for `--help`, and an error naming the option and the usage for a
 * bad one.
 *
 * @param program The program's name, for errors.
 * @param usage The usage text.
 * @param defaults Defaults of the shared options.
 * @param extra The program's own options and their defaults (`undefined`: none).
 * @param parse Checks the program's own options; throws to reject them.
 * @returns The checked options, or the exit status: 0 after `--help`, 2 for a bad option.
 *
 * @example
 * ```ts ignore
 * const cl = readCommandLine("repex", USAGE, defaults, { port: undefined }, (v) => Number(v.port));
 * if (typeof cl === "number") Deno.exit(cl);
 * ```
 */
export function readCommandLine<E extends string, T>(
  program: string,
  usage: string,
  defaults: RepexDefaults,
  extra: Record<E, string | undefined>,
  parse: (values: Record<E, string | undefined>, run: RepexRun) => T,
): { run: RepexRun; extra: T } | number {
  const spec: Record<string, { type: "string" | "boolean"; default?: string; short?: string }> = {
    help: { type: "boolean", short: "h" },
  };
  for (const [name, value] of Object.entries<string | undefined>({ ...defaults, ...extra })) {
    spec[name] = value === undefined ? { type: "string" } : { type: "string", default: value };
  }
  try {
    const { values } = parseArgs({ args: Deno.args, options: spec });
    if (values.help) {
      console.log(usage);
      return 0;
    }
    const strings = values as Record<string, string | undefined>;
    const run = readRepexOptions(strings as Record<keyof RepexDefaults, string>);
    return { run, extra: parse(strings as Record<E, string | undefined>, run) };
  } catch (e) {
    console.error(`${program}: ${e instanceof Error ? e.message : e}\n\n${usage}`);
    return 2;
  }
}

/**
 * A whole number option, at least `min`.
 *
 * @param name The option's name, for the error.
 * @param text Its value.
 * @param min The least allowed.
 * @returns The number.
 * @throws RangeError naming the option.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(wholeOption("steps", "10", 1), 10);
 * assert.throws(() => wholeOption("steps", "0", 1), /Cannot use --steps: .* >= 1, not '0'/);
 * ```
 */
export function wholeOption(name: string, text: string, min: number): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isInteger(n) || n < min) {
    throw new RangeError(
      `Cannot use --${name}: it must be a whole number >= ${min}, not '${text}'`,
    );
  }
  return n;
}

function positive(name: string, text: string, orZero = false): number {
  const n = Number(text);
  if (text.trim() === "" || !Number.isFinite(n) || n < 0 || (n === 0 && !orZero)) {
    throw new RangeError(
      `Cannot use --${name}: it must be a number ${orZero ? ">= 0" : "> 0"}, not '${text}'`,
    );
  }
  return n;
}

/**
 * Checks the shared options and makes the run's parameters.
 *
 * @param v The parsed values.
 * @returns The parameters (replica files go to `OUT/replicas`) and the output directory.
 * @throws RangeError naming the first bad option.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const { options, out } = readRepexOptions({ ...REPEX_DEFAULTS, replicas: "4", out: "run1/" });
 * assert.equal(out, "run1");
 * assert.equal(options.replicas, 4);
 * assert.equal(options.dir, "run1/replicas");
 * // --tmax below --tmin:
 * assert.throws(() => readRepexOptions({ ...REPEX_DEFAULTS, tmax: "1" }), /Cannot use --tmax/);
 * ```
 */
export function readRepexOptions(v: Record<keyof RepexDefaults, string>): RepexRun {
  const tmin = positive("tmin", v.tmin);
  const tmax = positive("tmax", v.tmax);
  if (tmax < tmin) {
    throw new RangeError(`Cannot use --tmax: it must be >= --tmin (${tmin}), not '${v.tmax}'`);
  }
  const seed = wholeOption("seed", v.seed, 0);
  if (seed > 0xffffffff) {
    throw new RangeError(`Cannot use --seed: it must be below 2^32, not '${v.seed}'`);
  }
  if (v.out.trim() === "") throw new RangeError(`Cannot use --out: it is empty`);
  const out = v.out.replace(/(.)\/+$/, "$1");
  return {
    out,
    options: {
      replicas: wholeOption("replicas", v.replicas, 2),
      steps: wholeOption("steps", v.steps, 1),
      sweeps: wholeOption("sweeps", v.sweeps, 0),
      size: wholeOption("size", v.size, 2),
      tmin,
      tmax,
      seed,
      pad: positive("pad", v.pad, true),
      dir: `${out}/replicas`,
    },
  };
}
