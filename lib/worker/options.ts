/**
 * Command-line options of the worker, parsed into a typed
 * {@linkcode WorkerOptions} with one clear error per bad option.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { projectMatcher } from "./find_manager.ts";
import { parseFingerprint } from "../wire/fingerprint.ts";
import { normalizeDebug } from "./_debug_args.ts";
import { parseProtocolChoice, type ProtocolChoice } from "./dialect.ts";
import { DEFAULT_MEASURE_INTERVAL } from "./measure/measurer.ts";
import { FOREMAN_ARGS, type ForemanOptions, parseForemanValues } from "./foreman_options.ts";

/** What the worker was asked to do. */
export type WorkerAction = "run" | "help" | "version";

/** Everything the worker needs to know, after parsing its command line. */
export interface WorkerOptions {
  /** `run`, or print the usage or the version and exit. */
  action: WorkerAction;
  /** The manager's host name or address. */
  host: string;
  /** The manager's port. */
  port: number;
  /** Find the manager in a catalog by this project pattern (`-M`) instead of HOST PORT. */
  managerName?: string;
  /** Catalogs to ask (`-C host:port[,host:port]`); default CATALOG_HOST/CATALOG_PORT, else localhost:9097. */
  catalog?: string;
  /** Cores to offer; `undefined` detects them. */
  cores?: number;
  /** Memory to offer in MB; `undefined` detects it. */
  memory?: number;
  /** Disk to offer in MB; `undefined` detects it. */
  disk?: number;
  /** GPUs to offer; `undefined` detects them. */
  gpus?: number;
  /** Seconds without a task before the worker leaves (exit 0). */
  idleTimeout: number;
  /** Seconds without a manager before the worker gives up. */
  connectTimeout: number;
  /** The directory in which the workspace is made. */
  workdir: string;
  /** Exit after the first disconnection instead of reconnecting. */
  singleShot: boolean;
  /** Log protocol traffic and decisions. */
  debug: boolean;
  /** Where the debug log goes; stderr when unset. */
  debugFile?: string;
  /** First reconnect delay, in seconds. */
  minBackoff: number;
  /** Longest reconnect delay, in seconds. */
  maxBackoff: number;
  /** The most bytes of a task's standard output that are sent back. */
  maxStdout: number;
  /** Start tasks in the worker's own process group (faster only without `--allow-ffi`; `kill 0` in a task reaches the worker). */
  fastSpawn: boolean;
  /** Offer our manager the fast path (`lib/wire/fast_path.ts`); `--no-fast-path` turns it off. */
  fastPath: boolean;
  /** Authenticate with the whole content of this file (`-P`, `--password`), as CCTools. */
  passwordFile?: string;
  /** Speak TLS to the manager (`--ssl`; implied by the three options below). */
  ssl: boolean;
  /** Trust the PEM certificates in this file for the manager: exactly, and as CAs (instead of the default roots). */
  sslCa?: string;
  /** Trust exactly the certificates with these SHA-256 fingerprints (`AB:CD:…`), whatever their CA flag and names. */
  sslFingerprints?: string[];
  /** Verify nothing about the manager's certificate, as CCTools' worker (logged at each connection). */
  sslInsecure: boolean;
  /** The protocol to speak: 9, 11, or `auto` (the catalog's word, else 11 then 9). */
  protocol: ProtocolChoice;
  /** Seconds between samples of a running task's memory, CPU and disk (`--measure-interval`). */
  measureInterval: number;
  /** Stop a task that goes over its memory or disk; `--no-enforcement` turns it off. */
  enforce: boolean;
  /** Run as a foreman (`--foreman` and its options): a manager to workers of its own. */
  foreman?: ForemanOptions;
}

export { WORKER_USAGE } from "./usage.ts";

/**
 * Parses a duration: plain seconds, or a number with a unit s, m, h or d.
 *
 * @param text The value given.
 * @param option The option it was given to, for the error.
 * @returns Seconds.
 * @throws {RangeError} If it is not a non-negative duration.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(parseDuration("2m", "--timeout"), 120);
 * assert.equal(parseDuration("90", "--timeout"), 90);
 * ```
 */
export function parseDuration(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smhd]?)$/i.exec(text.trim());
  if (!m) {
    throw new RangeError(
      `Cannot parse option '${option}': expected seconds or a number with s, m, h or d, got '${text}'`,
    );
  }
  const scale: Record<string, number> = { "": 1, s: 1, m: 60, h: 3600, d: 86400 };
  return Number(m[1]) * scale[m[2].toLowerCase()];
}

/**
 * Parses a byte count: plain bytes, or with a unit K, M, G or T (powers of 1024).
 *
 * @param text The value given.
 * @param option The option it was given to, for the error.
 * @returns Bytes.
 * @throws {RangeError} If it is not a byte count.
 */
export function parseBytes(text: string, option: string): number {
  const m = /^(\d+)\s*([kmgt]?)i?b?$/i.exec(text.trim());
  if (!m) {
    throw new RangeError(
      `Cannot parse option '${option}': expected a byte count like 1024 or 1G, got '${text}'`,
    );
  }
  const scale: Record<string, number> = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };
  return Number(m[1]) * scale[m[2].toLowerCase()];
}

/** Parses a resource amount; `all` (and 0 for cores) means detect. */
function parseAmount(text: string | undefined, option: string, zeroDetects: boolean) {
  if (text === undefined || text === "all") return undefined;
  if (!/^\d+$/.test(text)) {
    throw new RangeError(
      `Cannot parse option '${option}': expected a whole number or 'all', got '${text}'`,
    );
  }
  const n = Number(text);
  return zeroDetects && n === 0 ? undefined : n;
}

/** Default work directory: `$TMPDIR`, else `/tmp`. */
function defaultWorkdir(): string {
  try {
    return Deno.env.get("TMPDIR") || "/tmp";
  } catch {
    return "/tmp"; // no env permission: fall back quietly, as documented
  }
}

/**
 * Parses the worker's command line (`[options] HOST PORT` or `HOST:PORT`).
 *
 * @param args The arguments, usually `Deno.args`.
 * @returns The options; `action` is `help` or `version` when asked for.
 * @throws {TypeError} For an unknown option or a wrong number of arguments.
 * @throws {RangeError} For a value out of range, naming the option.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const o = parseWorkerArgs(["--cores", "2", "--single-shot", "127.0.0.1:9123"]);
 * assert.deepEqual([o.host, o.port], ["127.0.0.1", 9123]);
 * assert.equal(o.cores, 2);
 * assert.equal(o.singleShot, true);
 * assert.equal(o.idleTimeout, 900); // the default
 * ```
 */
export function parseWorkerArgs(args: string[]): WorkerOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: normalizeDebug(args),
      allowPositionals: true,
      strict: true,
      options: {
        "manager-name": { type: "string", short: "M" },
        catalog: { type: "string", short: "C" },
        cores: { type: "string" },
        memory: { type: "string" },
        disk: { type: "string" },
        gpus: { type: "string" },
        timeout: { type: "string", short: "t" },
        "idle-timeout": { type: "string" },
        "connect-timeout": { type: "string" },
        workdir: { type: "string", short: "s" },
        "single-shot": { type: "boolean" },
        debug: { type: "string", short: "d" },
        "debug-file": { type: "string", short: "o" },
        "min-backoff": { type: "string", short: "i" },
        "max-backoff": { type: "string", short: "b" },
        "max-stdout": { type: "string" },
        "fast-spawn": { type: "boolean" },
        "no-fast-path": { type: "boolean" },
        "measure-interval": { type: "string" },
        "no-enforcement": { type: "boolean" },
        password: { type: "string", short: "P" },
        ssl: { type: "boolean" },
        "ssl-ca": { type: "string" },
        "ssl-fingerprint": { type: "string", multiple: true },
        "ssl-insecure": { type: "boolean" },
        protocol: { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
        ...FOREMAN_ARGS,
      },
    });
  } catch (e) {
    throw new TypeError(`Cannot parse options: ${describeParseError(e)}`, { cause: e });
  }
  const v = parsed.values;
  const base = {
    host: "",
    port: 0,
    idleTimeout: 900,
    connectTimeout: 900,
    workdir: v.workdir ?? defaultWorkdir(),
    singleShot: v["single-shot"] ?? false,
    debug: v.debug !== undefined && v.debug !== "none",
    debugFile: v["debug-file"],
    minBackoff: 1,
    maxBackoff: 60,
    maxStdout: 2 ** 30,
    fastSpawn: v["fast-spawn"] ?? false,
    fastPath: !(v["no-fast-path"] ?? false),
    ssl: (v.ssl ?? false) || v["ssl-ca"] !== undefined || v["ssl-fingerprint"] !== undefined ||
      (v["ssl-insecure"] ?? false),
    sslInsecure: v["ssl-insecure"] ?? false,
    protocol: "auto" as ProtocolChoice,
    measureInterval: DEFAULT_MEASURE_INTERVAL,
    enforce: !(v["no-enforcement"] ?? false),
  };
  if (v.help) return { ...base, action: "help" };
  if (v.version) return { ...base, action: "version" };

  const opts: WorkerOptions = {
    ...base,
    action: "run",
    cores: parseAmount(v.cores, "--cores", true),
    memory: parseAmount(v.memory, "--memory", false),
    disk: parseAmount(v.disk, "--disk", false),
    gpus: parseAmount(v.gpus, "--gpus", false),
  };
  if (v.timeout !== undefined) {
    opts.idleTimeout = opts.connectTimeout = parseDuration(v.timeout, "--timeout");
  }
  if (v["idle-timeout"] !== undefined) {
    opts.idleTimeout = parseDuration(v["idle-timeout"], "--idle-timeout");
  }
  if (v["connect-timeout"] !== undefined) {
    opts.connectTimeout = parseDuration(v["connect-timeout"], "--connect-timeout");
  }
  if (v["min-backoff"] !== undefined) {
    opts.minBackoff = parseDuration(v["min-backoff"], "--min-backoff");
  }
  if (v["max-backoff"] !== undefined) {
    opts.maxBackoff = parseDuration(v["max-backoff"], "--max-backoff");
  }
  if (opts.maxBackoff < opts.minBackoff) {
    throw new RangeError(
      `Cannot use option '--max-backoff': ${opts.maxBackoff}s is below --min-backoff ${opts.minBackoff}s`,
    );
  }
  if (v.protocol !== undefined) opts.protocol = parseProtocolChoice(v.protocol);
  if (v["measure-interval"] !== undefined) {
    opts.measureInterval = parseDuration(v["measure-interval"], "--measure-interval");
    if (!(opts.measureInterval > 0)) {
      throw new RangeError(
        `Cannot use option '--measure-interval': it must be above 0, got '${
          v["measure-interval"]
        }'`,
      );
    }
  }
  if (v["max-stdout"] !== undefined) opts.maxStdout = parseBytes(v["max-stdout"], "--max-stdout");
  if (opts.workdir === "") throw new RangeError("Cannot use option '--workdir': it is empty");

  if (v.password !== undefined) {
    if (v.password === "") {
      throw new RangeError("Cannot use option '--password': the file name is empty");
    }
    opts.passwordFile = v.password;
  }
  if (v["ssl-ca"] !== undefined) {
    if (v["ssl-ca"] === "") {
      throw new RangeError("Cannot use option '--ssl-ca': the file name is empty");
    }
    opts.sslCa = v["ssl-ca"];
  }
  if (v["ssl-fingerprint"] !== undefined) {
    opts.sslFingerprints = v["ssl-fingerprint"].map((f) =>
      parseFingerprint(f, "--ssl-fingerprint")
    );
  }
  if (opts.sslInsecure && (opts.sslCa !== undefined || opts.sslFingerprints !== undefined)) {
    throw new TypeError(
      "Cannot use --ssl-insecure with --ssl-ca or --ssl-fingerprint: it verifies nothing, they verify",
    );
  }
  if (v.catalog !== undefined) opts.catalog = v.catalog;
  const foreman = parseForemanValues(v, v["manager-name"]);
  if (foreman) opts.foreman = foreman;
  if (v["manager-name"] !== undefined) {
    if (v["manager-name"] === "") {
      throw new RangeError("Cannot use option '-M': the project name is empty");
    }
    if (parsed.positionals.length > 0) {
      throw new TypeError(
        `Cannot parse arguments: give either -M PROJECT or HOST PORT, not both (got '${
          parsed.positionals.join(" ")
        }')`,
      );
    }
    projectMatcher(v["manager-name"]); // a bad pattern is an option error
    opts.managerName = v["manager-name"];
    return opts;
  }
  const [host, port] = parseAddress(parsed.positionals);
  opts.host = host;
  opts.port = port;
  return opts;
}

/** Turns `HOST PORT` or `HOST:PORT` into a pair. */
function parseAddress(pos: string[]): [string, number] {
  let host: string | undefined;
  let portText: string | undefined;
  if (pos.length === 1) {
    const i = pos[0].lastIndexOf(":");
    if (i > 0) {
      host = pos[0].slice(0, i).replace(/^\[(.*)\]$/, "$1");
      portText = pos[0].slice(i + 1);
    }
  } else if (pos.length === 2) {
    [host, portText] = pos;
  }
  if (host === undefined || portText === undefined) {
    throw new TypeError(
      `Cannot parse arguments: expected HOST PORT or HOST:PORT, got ${
        pos.length === 0 ? "nothing" : `'${pos.join(" ")}'`
      }`,
    );
  }
  if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    throw new RangeError(`Cannot parse PORT: expected 1..65535, got '${portText}'`);
  }
  if (host === "") throw new TypeError("Cannot parse HOST: it is empty");
  return [host, Number(portText)];
}

/** Turns node:util's parseArgs error into a short sentence. */
function describeParseError(e: unknown): string {
  const err = e as { code?: string; message?: string };
  const msg = String(err.message ?? e);
  const quoted = /'([^']+)'/.exec(msg)?.[1];
  // "-t, --timeout <value>" -> "--timeout"
  const opt = quoted?.split(/[ ,]+/).filter((w) => w.startsWith("-")).pop() ?? quoted;
  if (err.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `unknown option '${opt}'`;
  if (err.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && opt) {
    return msg.includes("does not take")
      ? `option '${opt}' does not take a value`
      : `option '${opt}' needs a value`;
  }
  return msg;
}
