/**
 * The worker's foreman options, as CCTools' `work_queue_worker` takes them:
 * `--foreman`, `--foreman-port PORT[:HIGH]`, `-Z/--foreman-port-file FILE`,
 * `-f/--foreman-name NAME` and `-F/--fast-abort MULT`. Each of the last
 * four implies `--foreman`.
 *
 * @module
 */

/** How the foreman serves its own workers. */
export interface ForemanOptions {
  /** The port its workers connect to; 0 picks a free one. */
  port: number;
  /** With `PORT:HIGH`: the highest port tried, from `port` up. */
  highPort?: number;
  /** Where the chosen port is written (`-Z`). */
  portFile?: string;
  /** The project name it advertises to the catalog, so that workers find it with `-M`. */
  name?: string;
  /** The fast-abort multiplier for its workers; none by default. */
  fastAbort?: number;
}

/** The raw values of the options, as `parseArgs` gives them. */
export interface ForemanValues {
  foreman?: boolean;
  "foreman-port"?: string;
  "foreman-port-file"?: string;
  "foreman-name"?: string;
  "fast-abort"?: string;
}

/** The `parseArgs` declarations of the foreman's options. */
export const FOREMAN_ARGS = {
  foreman: { type: "boolean" },
  "foreman-port": { type: "string" },
  "foreman-port-file": { type: "string", short: "Z" },
  "foreman-name": { type: "string", short: "f" },
  "fast-abort": { type: "string", short: "F" },
} as const;

/**
 * The foreman's options, if the worker is to be one.
 *
 * @param v The raw values.
 * @param managerName The worker's `-M` pattern, which the foreman's name must differ from.
 * @returns The options, or `undefined` for a plain worker.
 * @throws {RangeError} For a bad value, naming the option.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(parseForemanValues({}), undefined);
 * assert.deepEqual(parseForemanValues({ "foreman-port": "9200:9300", "foreman-name": "site-a" }), {
 *   port: 9200, highPort: 9300, name: "site-a",
 * });
 * assert.throws(() => parseForemanValues({ "fast-abort": "x" }), /--fast-abort/);
 * ```
 */
export function parseForemanValues(
  v: ForemanValues,
  managerName?: string,
): ForemanOptions | undefined {
  const on = v.foreman || v["foreman-port"] !== undefined ||
    v["foreman-port-file"] !== undefined || v["foreman-name"] !== undefined ||
    v["fast-abort"] !== undefined;
  if (!on) return undefined;
  const o: ForemanOptions = { port: 0 };
  const ports = v["foreman-port"];
  if (ports !== undefined) {
    const m = /^(\d+)(?::(\d+))?$/.exec(ports);
    const low = Number(m?.[1]);
    const high = m?.[2] === undefined ? undefined : Number(m[2]);
    if (!m || low > 65535 || (high !== undefined && (high < low || high > 65535))) {
      throw new RangeError(
        `Cannot parse option '--foreman-port': expected PORT or LOW:HIGH within 0..65535, got '${ports}'`,
      );
    }
    o.port = low;
    if (high !== undefined) o.highPort = high;
  }
  const file = v["foreman-port-file"];
  if (file !== undefined) {
    if (file === "") throw new RangeError("Cannot use option '--foreman-port-file': it is empty");
    o.portFile = file;
  }
  const name = v["foreman-name"];
  if (name !== undefined) {
    if (name === "") throw new RangeError("Cannot use option '--foreman-name': it is empty");
    if (name === managerName) {
      throw new RangeError(
        `Cannot use option '--foreman-name': the foreman and its manager (-M) share the name '${name}'`,
      );
    }
    o.name = name;
  }
  const mult = v["fast-abort"];
  if (mult !== undefined) {
    const n = Number(mult);
    if (mult.trim() === "" || !Number.isFinite(n) || n < 0) {
      throw new RangeError(
        `Cannot parse option '--fast-abort': expected a multiplier like 3, got '${mult}'`,
      );
    }
    if (n > 0) o.fastAbort = n;
  }
  return o;
}
