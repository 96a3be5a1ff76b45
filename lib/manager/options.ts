/**
 * The options of a {@linkcode WorkQueue} and its logger.
 *
 * @module
 */

import { DEFAULT_STEADY_AFTER } from "./categories/categories.ts";
import { type Clock, realClock } from "../clock.ts";
import { WORK_QUEUE_DEFAULT_PORT } from "../constants.ts";
import { passwordBytes, type SslOptions } from "./access.ts";

export type { SslOptions };

/** Where log lines go: `debug` only when asked for, `warn` always. */
export type Logger = (level: "debug" | "warn", message: string) => void;

/** Options of {@linkcode WorkQueue}. */
export interface WorkQueueOptions {
  /** The port to listen on: default 9123; `0` (`WORK_QUEUE_RANDOM_PORT`) takes any free port. */
  port?: number;
  /** The address to listen on. Default `0.0.0.0` (all interfaces). */
  hostname?: string;
  /**
   * The project name. A named manager advertises itself to its catalogs, so
   * that workers started with `-M NAME` find it and status tools list it.
   */
  name?: string;
  /**
   * Catalogs to advertise to, `host:port[,host:port]`. Default: CATALOG_HOST
   * and CATALOG_PORT from the environment, else `localhost:9097`.
   */
  catalog?: string;
  /** Seconds between catalog updates. Default 60. */
  catalogInterval?: number;
  /**
   * Send catalog updates over TCP to the catalog's port + 1 (`true`), or as
   * one UDP datagram to its port (`false`). Default: what
   * CATALOG_UPDATE_PROTOCOL (`tcp` or `udp`) says, else TCP, as CCTools 7.17.
   */
  catalogTcp?: boolean;
  /** Log every task move and worker event to the logger. */
  debug?: boolean;
  /** Receives log lines; default writes warnings (and debug lines if `debug`) to stderr. */
  logger?: Logger;
  /** Seconds between keepalive checks of a quiet worker. Default 30. */
  keepaliveInterval?: number;
  /** Seconds a worker may take to answer a check (or to finish its handshake). Default 30. */
  keepaliveTimeout?: number;
  /** Closes the queue (as `close()`) when aborted. */
  signal?: AbortSignal;
  /**
   * Require every connection (workers and status queries) to prove it knows
   * this password first, with CCTools' SHA-1 challenge-response: text (as
   * UTF-8) or bytes. Workers give it with `-P FILE` (the whole file,
   * trailing newline included). See docs/security.md.
   */
  password?: string | Uint8Array;
  /**
   * Speak TLS on the manager's port: the certificate chain and private key,
   * each a PEM file's path or PEM text. Workers then need `--ssl`, or
   * `--ssl-ca FILE` or `--ssl-fingerprint SHA256` for a private CA or a
   * self-signed certificate; the manager logs its certificate's fingerprint
   * when it starts.
   */
  ssl?: SslOptions;
  /**
   * Write CCTools' statistics log to this file (appending), as
   * `specifyLog()`: one line of counters a second at most, which
   * `work_queue_graph_log` plots. See docs/logs.md.
   */
  statsLog?: string;
  /**
   * Write CCTools' transactions log to this file (appending), as
   * `specifyTransactionsLog()`: a line per task move and worker arrival or
   * departure. See docs/logs.md.
   */
  transactionsLog?: string;
  /**
   * A journal file: every submit, dispatch, completion and delivery is
   * recorded there, and a queue started again with the same file puts back
   * every task submitted and not yet delivered (docs/journal.md). Tasks'
   * `data` must then be JSON. Default: none.
   */
  journal?: string;
  /** Bytes of a task's standard output kept; the rest is dropped and the result says so. Default 1 GiB. */
  maxStdout?: number;
  /**
   * How many measured tasks in a row, with no new largest value, a category
   * in an automatic allocation mode needs before it sizes its tasks (and
   * how often it computes their size again). CCTools'
   * `category-steady-n-tasks`. Default 25.
   */
  categorySteadyTasks?: number;
  /**
   * The clock of the keepalive checks, fast abort, blocks that run out, the
   * first-line timeout and the tasks' times. Default: the real clock. Tests
   * pass a manual one to drive that logic without waiting (`wait()`'s
   * timeout always runs on real time).
   */
  clock?: Clock;
}

/** The default logger: warnings (and debug lines if asked) to stderr. */
export function defaultLogger(debug: boolean): Logger {
  return (level, message) => {
    if (level === "debug" && !debug) return;
    console.error(`wq manager: ${message}`);
  };
}

/** {@linkcode WorkQueueOptions} checked, with their defaults, in the units used inside. */
export interface ResolvedOptions {
  port: number;
  hostname: string;
  catalogInterval: number;
  debug: boolean;
  logger: Logger;
  clock: Clock;
  /** The keepalive interval and timeout, in ms. */
  keepalive: { intervalMs: number; timeoutMs: number };
  maxStdout: number;
  categorySteadyTasks: number;
  password: Uint8Array | undefined;
}

/**
 * Checks a queue's options and fills in the defaults.
 *
 * @param options The options given.
 * @returns The options to use.
 * @throws {RangeError} For a bad `port`, `catalogInterval` or `categorySteadyTasks`, or an empty password.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const o = resolveOptions({ port: 0, keepaliveTimeout: 2 });
 * assert.equal(o.keepalive.timeoutMs, 2000);
 * assert.equal(o.hostname, "0.0.0.0");
 * assert.throws(() => resolveOptions({ port: 70000 }), RangeError);
 * ```
 */
export function resolveOptions(options: WorkQueueOptions): ResolvedOptions {
  const port = options.port ?? WORK_QUEUE_DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(
      `Cannot create WorkQueue: port must be an integer in 0..65535, got ${port}`,
    );
  }
  const catalogInterval = options.catalogInterval ?? 60;
  if (!(catalogInterval > 0)) {
    throw new RangeError(
      `Cannot create WorkQueue: catalogInterval must be positive, got ${catalogInterval}`,
    );
  }
  const debug = options.debug ?? false;
  const steady = options.categorySteadyTasks ?? DEFAULT_STEADY_AFTER;
  if (!Number.isInteger(steady) || steady < 1) {
    throw new RangeError(
      `Cannot create WorkQueue: categorySteadyTasks must be a whole number >= 1, got ${steady}`,
    );
  }
  return {
    port,
    hostname: options.hostname ?? "0.0.0.0",
    catalogInterval,
    debug,
    logger: options.logger ?? defaultLogger(debug),
    clock: options.clock ?? realClock,
    keepalive: {
      intervalMs: (options.keepaliveInterval ?? 30) * 1000,
      timeoutMs: (options.keepaliveTimeout ?? 30) * 1000,
    },
    maxStdout: options.maxStdout ?? 1 << 30,
    categorySteadyTasks: steady,
    password: options.password === undefined
      ? undefined
      : passwordBytes(options.password, "password"),
  };
}
