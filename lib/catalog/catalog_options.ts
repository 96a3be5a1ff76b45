/**
 * The command line of `wq-catalog` (`catalog/main.ts`).
 *
 * @module
 */

import { parseArgs } from "node:util";
import type { CatalogServerOptions } from "./server.ts";

/** The help text of `wq-catalog`. */
export const CATALOG_USAGE = `Usage: wq-catalog [options]

A catalog server compatible with CCTools' catalog_server: managers send it
updates (UDP on PORT, TCP on PORT+1), and catalog_query, work_queue_status,
work_queue_worker -M, wq-status and browsers query it over HTTP on PORT.

Options:
  -p, --port PORT            HTTP and UDP port; TCP updates use PORT+1
                             (default 9097; 0 picks free ports)
  -I, --interface ADDR       address to listen on (default 0.0.0.0)
  -l, --lifetime TIME        how long a record lives without an update
                             (default 900 = 15 min; s, m, h or d suffix)
      --max-update-bytes N   largest update accepted, compressed or
                             inflated (default 1048576)
      --update-rate N        updates per second allowed per source address
                             (default 20)
      --update-burst N       updates a source may send at once (default 200)
      --max-records N        most records held (default 100000)
      --max-connections N    concurrent HTTP connections (default 64)
  -d, --debug                log dropped updates and failed connections
  -h, --help                 show this help

Once listening it prints one line:
  catalog listening on http ADDR:PORT udp PORT tcp-updates PORT+1
`;

/** What the command line asks for. */
export type CatalogAction =
  | { action: "help" }
  | { action: "serve"; options: CatalogServerOptions; debug: boolean };

/**
 * Reads a time: seconds, or a number with `s`, `m`, `h` or `d`.
 *
 * @param text For example `900`, `15m`.
 * @param option The option's name, for the message.
 * @returns Seconds.
 * @throws {TypeError} If it is not a positive time.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSeconds } from "./catalog_options.ts";
 * assert.equal(parseSeconds("15m", "--lifetime"), 900);
 * ```
 */
export function parseSeconds(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(text.trim());
  const unit = { "": 1, s: 1, m: 60, h: 3600, d: 86400 } as const;
  const value = m ? Number(m[1]) * unit[m[2] as keyof typeof unit] : NaN;
  if (!(value > 0)) {
    throw new TypeError(
      `Cannot use ${option} '${text}': expected a positive time such as 900 or 15m`,
    );
  }
  return value;
}

function count(text: string | undefined, option: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!(Number.isFinite(n) && n >= min)) {
    throw new TypeError(`Cannot use ${option} '${text}': expected a number of at least ${min}`);
  }
  return n;
}

/**
 * Parses the arguments of `wq-catalog`.
 *
 * @param args The arguments (Deno.args).
 * @returns What to do.
 * @throws {TypeError} For an unknown option or a bad value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCatalogArgs } from "./catalog_options.ts";
 * const a = parseCatalogArgs(["-p", "0", "-I", "127.0.0.1", "-l", "60"]);
 * assert.equal(a.action, "serve");
 * assert.equal(a.options.port, 0);
 * assert.equal(a.options.hostname, "127.0.0.1");
 * assert.equal(a.options.lifetimeSeconds, 60);
 * ```
 */
export function parseCatalogArgs(args: string[]): CatalogAction {
  const { values, positionals } = parseArgs({
    args,
    options: {
      port: { type: "string", short: "p" },
      interface: { type: "string", short: "I" },
      lifetime: { type: "string", short: "l" },
      "max-update-bytes": { type: "string" },
      "update-rate": { type: "string" },
      "update-burst": { type: "string" },
      "max-records": { type: "string" },
      "max-connections": { type: "string" },
      debug: { type: "boolean", short: "d" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
    strict: true,
  });
  if (values.help) return { action: "help" };
  if (positionals.length > 0) {
    throw new TypeError(`Cannot use argument '${positionals[0]}': wq-catalog takes only options`);
  }
  const port = count(values.port, "--port", 0);
  if (port !== undefined && !(Number.isInteger(port) && port < 65535)) {
    throw new TypeError(`Cannot use --port '${values.port}': expected 0 to 65534`);
  }
  return {
    action: "serve",
    debug: values.debug ?? false,
    options: {
      port: port ?? 9097,
      hostname: values.interface ?? "0.0.0.0",
      lifetimeSeconds: values.lifetime === undefined
        ? 900
        : parseSeconds(values.lifetime, "--lifetime"),
      maxUpdateBytes: count(values["max-update-bytes"], "--max-update-bytes", 64),
      updateRate: count(values["update-rate"], "--update-rate", 0),
      updateBurst: count(values["update-burst"], "--update-burst", 1),
      maxRecords: count(values["max-records"], "--max-records", 1),
      maxConnections: count(values["max-connections"], "--max-connections", 1),
    },
  };
}
