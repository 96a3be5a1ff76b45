/**
 * The command line of `wq-run`.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** What `wq-run` was asked to do. */
export interface RunOptions {
  /** The task file, or `-` for standard input. */
  taskFile: string;
  /** The port to listen on (0: any free port). Default 9123. */
  port: number;
  /** The address to listen on. Default `0.0.0.0`. */
  interface: string;
  /** The project name advertised to the catalog. */
  name?: string;
  /** The catalogs to advertise to, `HOST:PORT[,HOST:PORT]`. */
  catalog?: string;
  /** The password file that workers must prove they know. */
  passwordFile?: string;
  /** Local workers to start. Default 0. */
  workers: number;
  /** Where the JSON lines go; standard output when unset. */
  out?: string;
  /** `maxRetries` of tasks that set none. */
  maxRetries?: number;
  /** No progress output. */
  quiet: boolean;
}

/** The usage text of `wq-run`. */
export const RUN_USAGE: string = `Usage: wq-run [options] TASKFILE

Runs the tasks of TASKFILE (- for standard input) on the workers that
connect, writes one JSON line per completed task, and exits 0 if every task
succeeded, 1 if any failed, 2 if nothing could be run (a bad option or task).

TASKFILE has one task per line: a shell command, or a JSON object such as
  {"command": "sort in.txt > out.txt", "inputs": ["in.txt"], "outputs": ["out.txt"]}
Blank lines and lines starting with # are skipped. See docs/run.md.

Options:
  -p, --port PORT        Port to listen on (default 9123; 0 picks a free port)
  -I, --interface ADDR   Address to listen on (default 0.0.0.0)
  -N, --name PROJECT     Advertise the run to a catalog as PROJECT (workers: -M PROJECT)
  -C, --catalog HOST:PORT
                         The catalog(s) for --name (default CATALOG_HOST/CATALOG_PORT,
                         else localhost:9097)
  -P, --password FILE    Workers must prove they know the password in FILE
  -w, --workers N        Also start N workers on this machine (default 0)
  -o, --out FILE         Write the JSON lines to FILE instead of standard output
      --max-retries N    Infrastructure failures a task survives, for tasks that
                         set no maxRetries (default 0: retry forever)
  -q, --quiet            No progress output
  -h, --help             This text`;

function whole(option: string, value: string | undefined, max = Infinity): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < 0 || n > max) {
    throw new RangeError(
      `Cannot use option '${option}': expected a whole number${
        max < Infinity ? ` up to ${max}` : ""
      }, got '${value}'`,
    );
  }
  return n;
}

/**
 * Parses `wq-run`'s command line.
 *
 * @param args The arguments.
 * @returns The options, or `"help"`.
 * @throws {TypeError} For an unknown option or a wrong number of arguments.
 * @throws {RangeError} For a value out of range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRunArgs } from "./options.ts";
 *
 * const o = parseRunArgs(["--port", "0", "-w", "2", "tasks.txt"]);
 * assert.ok(o !== "help");
 * assert.deepEqual([o.taskFile, o.port, o.workers, o.quiet], ["tasks.txt", 0, 2, false]);
 * assert.throws(() => parseRunArgs(["--port", "x", "t"]), RangeError);
 * ```
 */
export function parseRunArgs(args: string[]): RunOptions | "help" {
  const { values: v, positionals: p } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      port: { type: "string", short: "p" },
      interface: { type: "string", short: "I" },
      name: { type: "string", short: "N" },
      catalog: { type: "string", short: "C" },
      password: { type: "string", short: "P" },
      workers: { type: "string", short: "w" },
      out: { type: "string", short: "o" },
      "max-retries": { type: "string" },
      quiet: { type: "boolean", short: "q" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (v.help) return "help";
  if (p.length !== 1) {
    throw new TypeError(`Cannot run: expected one TASKFILE, got ${p.length} arguments`);
  }
  if (v.name !== undefined && !/^\S+$/.test(v.name)) {
    throw new TypeError(
      `Cannot use option '--name': expected a name without spaces, got '${v.name}'`,
    );
  }
  if (v.catalog !== undefined && v.name === undefined) {
    throw new TypeError("Cannot use option '--catalog': it needs --name PROJECT");
  }
  for (
    const [option, value] of [["--interface", v.interface], ["--out", v.out], [
      "--password",
      v.password,
    ]] as const
  ) {
    if (value === "") throw new TypeError(`Cannot use option '${option}': it is empty`);
  }
  return {
    taskFile: p[0],
    port: whole("--port", v.port, 65535) ?? 9123,
    interface: v.interface ?? "0.0.0.0",
    name: v.name,
    catalog: v.catalog,
    passwordFile: v.password,
    workers: whole("--workers", v.workers, 1000) ?? 0,
    out: v.out,
    maxRetries: whole("--max-retries", v["max-retries"]),
    quiet: v.quiet ?? false,
  };
}
