/**
 * The worker's outer loop: dial the manager with a jittered backoff, serve
 * the connection, clean up, and dial again (or stop).
 *
 * @module
 */

import { resolveCatalogs } from "../catalog/client.ts";
import { Backoff } from "./backoff.ts";
import { CallExecutor } from "./library/call_executor.ts";
import { processExecutor, sharedGroupExecutor } from "./executor.ts";
import { type FoundManager, ManagerFinder } from "./find_manager.ts";
import type { WorkerLog } from "./log.ts";
import type { WorkerIdentity } from "../wire/worker_messages.ts";
import type { WorkerOptions } from "./options.ts";
import type { Resources } from "../resources.ts";
import type { Capacity, Runner, RunnerHooks } from "./runner.ts";
import { runSession, type SessionEnd } from "./session.ts";
import { DialectChooser } from "./dialect.ts";
import type { Dialect } from "../wire/protocol.ts";
import type { Workspace } from "./workspace.ts";
import { errorMessage } from "../errors.ts";
import type { Measurer } from "./measure/measurer.ts";
import type { CgroupPlace } from "./measure/cgroup.ts";
import { type ClientConn, secureClient, type TlsTrust } from "../wire/secure_client.ts";

/** What {@linkcode workerLoop} needs besides the options. */
export interface WorkerLoopContext {
  /** The workspace (created). */
  workspace: Workspace;
  /** The worker's resources. */
  total: Resources;
  /** Handshake identity. */
  identity: WorkerIdentity;
  /** The log. */
  log: WorkerLog;
  /** Stops the loop (SIGTERM, SIGINT). */
  signal: AbortSignal;
  /** TLS and the password, if the worker uses them. */
  security?: WorkerSecurity;
  /** Measures every task; none when absent. */
  measurer?: Measurer;
  /** Where each task gets a cgroup v2 of its own, if the worker may make them. */
  cgroups?: CgroupPlace;
  /** A foreman's: what runs each session's tasks (default: processes in sandboxes). */
  runner?: (hooks: RunnerHooks) => Runner;
  /** A foreman's: resources that change as its workers come and go. */
  capacity?: Capacity;
  /** The fast path's version to offer (a foreman's is 1); default the worker's. */
  fastPathVersion?: number;
  /** Told the manager's address (`ip:port`) when a session starts, and `null` when it ends. */
  onManager?: (address: string | null) => void;
}

/** How the worker proves itself to the manager (and the manager to it). */
export interface WorkerSecurity {
  /** The password (`-P FILE`: the whole file). */
  password?: Uint8Array;
  /** Speak TLS, trusting these certificates (or Deno's default roots if it is empty). */
  tls?: TlsTrust;
}

/** Bound on the TLS handshake and on the password exchange, each. */
const SECURE_TIMEOUT_MS = 30_000;

/**
 * Connects and serves managers until told to stop.
 *
 * Stops (exit status 0) on `exit`, on the idle timeout, on a signal, after
 * the first disconnection with `--single-shot`, or when no manager could be
 * reached for `--connect-timeout` seconds (as CCTools does).
 *
 * @param options The parsed options.
 * @param ctx Workspace, resources, identity, log and stop signal.
 * @returns The exit status.
 */
export async function workerLoop(options: WorkerOptions, ctx: WorkerLoopContext): Promise<number> {
  const { log, signal, workspace } = ctx;
  const finder = options.managerName === undefined
    ? undefined
    : new ManagerFinder(resolveCatalogs(options.catalog), options.managerName);
  let where = `${options.host}:${options.port}`;
  let found: FoundManager | undefined;
  const backoff = new Backoff({
    minMs: options.minBackoff * 1000,
    maxMs: options.maxBackoff * 1000,
  });
  let deadline = Date.now() + options.connectTimeout * 1000;
  const dialects = new DialectChooser(options.protocol ?? "auto");
  /** With -M: the manager to dial again at once in the other dialect. */
  let redial: FoundManager | undefined;
  while (!signal.aborted) {
    let conn: ClientConn;
    let connected = false;
    let key = `${options.host}:${options.port}`;
    let dialect: Dialect;
    let peer = "";
    try {
      const timeout = Math.max(1000, deadline - Date.now());
      let tcp: Deno.TcpConn;
      // The manager's TLS certificate must name the host the worker was given.
      let hostname = options.host;
      let security = ctx.security;
      if (finder) {
        const f = redial ?? await finder.find();
        redial = undefined;
        if ("none" in f) throw new Error(f.none);
        found = f;
        tcp = await dialAny(f.hosts, f.port, timeout, signal);
        hostname = tcp.remoteAddr.hostname;
        key = `${hostname}:${f.port}`;
        where = `${key} (project ${f.project})`;
        // The record's "ssl": true turns TLS on, as CCTools' worker does.
        if (f.ssl && !security?.tls) security = { ...security, tls: {} };
        dialect = dialects.first(key, f.protocol);
      } else {
        tcp = await dial(options.host, options.port, timeout, signal);
        dialect = dialects.first(key);
      }
      connected = true;
      peer = `${tcp.remoteAddr.hostname}:${tcp.remoteAddr.port}`;
      tcp.setNoDelay(true);
      conn = tcp;
      if (security?.tls || security?.password) {
        conn = await secureClient(tcp, {
          hostname,
          ...security,
          timeoutMs: SECURE_TIMEOUT_MS,
          signal,
          warn: (m) => log.notice(`manager ${where}: ${m}`),
        });
      }
    } catch (e) {
      if (signal.aborted) break;
      if (found) finder?.avoid(found);
      found = undefined;
      const what = connected
        ? `manager ${where}: ${errorMessage(e)}`
        : `cannot connect to ${finder ? "a manager" : where}: ${errorMessage(e)}`;
      if (Date.now() >= deadline) {
        log.notice(what);
        log.notice(`stopping: no manager reached in ${options.connectTimeout} s (connect timeout)`);
        return 0;
      }
      const delay = Math.min(backoff.next(), Math.max(0, deadline - Date.now()));
      log.notice(`${what}; retrying in ${seconds(delay)} s`);
      await sleep(delay, signal);
      continue;
    }
    backoff.reset();
    log.notice(`connected to manager ${where} (protocol ${dialect})`);
    let end: SessionEnd;
    // Function calls run in library processes that live as long as the session.
    const calls = new CallExecutor({
      base: options.fastSpawn ? sharedGroupExecutor : processExecutor,
      root: workspace.root,
      cacheDir: workspace.cacheDir,
      log: (m) => log.debug(m),
    });
    ctx.onManager?.(peer);
    try {
      await workspace.prepare();
      end = await runSession({
        conn,
        workspace,
        total: ctx.total,
        identity: ctx.identity,
        idleTimeout: options.idleTimeout,
        maxStdout: options.maxStdout,
        executor: calls,
        log,
        signal,
        dialect,
        fastPath: options.fastPath,
        measurer: ctx.measurer,
        enforce: options.enforce,
        cgroups: ctx.cgroups,
        runner: ctx.runner,
        capacity: ctx.capacity,
        fastPathVersion: ctx.fastPathVersion,
      });
    } finally {
      ctx.onManager?.(null);
      await calls.close();
      await workspace.remove();
    }
    if (end.kind === "lost" && end.silent) {
      const refusal = dialects.refused(key, dialect);
      if ("retry" in refusal) {
        log.notice(
          `the manager at ${key} closed the connection right after the handshake for protocol ${dialect}; trying protocol ${refusal.retry}`,
        );
        redial = found;
        continue;
      }
      end = { ...end, reason: refusal.message };
    } else if (end.kind !== "lost" || end.heard) {
      dialects.served(key, dialect);
    }
    const again = (end.kind === "lost" || end.kind === "release") && !options.singleShot;
    // A lost manager is dialled again after the first backoff step (it may be restarting).
    const delay = again && end.kind === "lost" ? backoff.next() : 0;
    log.notice(
      `disconnected from manager ${where}: ${describe(end)}${
        again ? `; reconnecting in ${seconds(delay)} s` : ""
      }`,
    );
    if (end.kind !== "lost" && end.kind !== "release") break;
    if (options.singleShot) {
      log.notice("stopping: single-shot mode");
      break;
    }
    // A manager that served us restarts the connect timeout; one that only
    // refused us (it wants a password we lack) does not, so such a worker
    // gives up in time, as one that cannot connect at all does.
    if (end.kind !== "lost" || end.heard) {
      deadline = Date.now() + options.connectTimeout * 1000;
    } else if (Date.now() >= deadline) {
      log.notice(`stopping: no manager served us in ${options.connectTimeout} s (connect timeout)`);
      return 0;
    }
    // Looking up by project: a manager that went away is picked last for a while.
    if (found) finder?.avoid(found);
    found = undefined;
    if (delay > 0) await sleep(delay, signal);
  }
  return 0;
}

/** Milliseconds as seconds for the log: `0.35`, `12`. */
function seconds(ms: number): string {
  return String(Math.round(ms / 10) / 100);
}

function describe(end: SessionEnd): string {
  switch (end.kind) {
    case "exit":
      return "the manager asked the worker to exit";
    case "release":
      return "the manager released the worker";
    case "idle":
      return "idle timeout";
    case "aborted":
      return "stopped by a signal";
    case "lost":
      return end.reason;
  }
}

/** Connects, giving up after `timeoutMs` or when `signal` aborts. */
async function dial(
  hostname: string,
  port: number,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<Deno.TcpConn> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
  const onAbort = () => ac.abort(signal.reason);
  signal.addEventListener("abort", onAbort);
  try {
    return await Deno.connect({ hostname, port, transport: "tcp", signal: ac.signal });
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
}

/** Tries each address in turn; throws the last error if none answers. */
async function dialAny(
  hosts: string[],
  port: number,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<Deno.TcpConn> {
  let last: unknown;
  for (const h of hosts) {
    try {
      return await dial(h, port, timeoutMs, signal);
    } catch (e) {
      last = e;
      if (signal.aborted) break;
    }
  }
  throw last;
}

/** Waits `ms`, or less if `signal` aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}
