/**
 * A catalog server compatible with CCTools' `catalog_server` (protocol spec
 * §7): it takes updates as UDP datagrams on port P and as TCP connections on
 * port P+1, and answers HTTP queries on TCP port P (`/query.json`,
 * `/query.text`, `/query/<base64 JX filter>`, the dashboard at `/`, and its
 * own counters at `/stats.json`).
 *
 * Robustness: updates are limited per source address (token bucket), bounded
 * in size, decoded off the query path in small time-boxed batches, and
 * dropped with a counter when malformed, oversized, flooding or when the
 * backlog is full. HTTP clients get bounded request heads, a 15 s limit to
 * send their request, a limit on the reply time, and a bound on concurrent
 * connections.
 *
 * @module
 */

import dgram from "node:dgram";
import type { CatalogRecord } from "./client.ts";
import { dashboardHtml } from "./dashboard.ts";
import { readRequest, responseHead } from "./http.ts";
import { answerQuery, type Reply } from "./queries.ts";
import { RateLimiter } from "./rate_limit.ts";
import { closeQuietly, type IntakeCounters, UpdateIntake } from "./intake.ts";
import { RecordTable } from "./records.ts";
import { writeAll } from "../wire/line_reader.ts";

/** Options of {@linkcode serveCatalog}. */
export interface CatalogServerOptions {
  /** HTTP and UDP port; TCP updates use port+1. 0 picks free ones. Default 9097. */
  port?: number;
  /** Address to bind. Default `0.0.0.0`. */
  hostname?: string;
  /** Seconds a record lives without a new update. Default 900. */
  lifetimeSeconds?: number;
  /** The largest update accepted (compressed or inflated), in bytes. Default 1 MiB. */
  maxUpdateBytes?: number;
  /** Updates per second allowed per source address, on average. Default 20. */
  updateRate?: number;
  /** Updates a source may send in a burst. Default 200. */
  updateBurst?: number;
  /** Updates waiting to be decoded before more are dropped. Default 10000. */
  maxBacklog?: number;
  /** The most records held. Default 100000. */
  maxRecords?: number;
  /** Concurrent HTTP connections (and, separately, TCP update connections). Default 64. */
  maxConnections?: number;
  /** Time a client has to send its request head, in ms. Default 15000. */
  requestTimeoutMs?: number;
  /** Time to send a reply, in ms. Default 60000. */
  replyTimeoutMs?: number;
  /** Time a TCP update connection has to send its update and close, in ms. Default 5000. */
  updateTimeoutMs?: number;
  /** The largest request head, in bytes. Default 16 KiB. */
  maxRequestBytes?: number;
  /** Dashboard refresh interval, in ms. Default 2000. */
  dashboardRefreshMs?: number;
  /** Stops the server when aborted. */
  signal?: AbortSignal;
  /** Receives one line per dropped update or failed connection (debugging). */
  log?: (message: string) => void;
}

/** The server's counters, as `/stats.json` serves them. */
export interface CatalogStats extends IntakeCounters {
  type: "catalog_stats";
  /** When the server started, epoch seconds. */
  starttime: number;
  /** Records held now. */
  records: number;
  /** Records removed after their lifetime. */
  expired: number;
  /** HTTP requests answered. */
  queries: number;
  /** Requests answered 400 (bad filter, bad request line, head too long). */
  queries_bad: number;
  /** Connections refused because too many were open. */
  queries_refused: number;
  /** Connections closed because the client was too slow. */
  http_timeouts: number;
  /** HTTP connections open now. */
  connections_open: number;
  /** Updates waiting to be decoded now. */
  backlog: number;
}

/** A running catalog server. */
export interface CatalogServer extends AsyncDisposable {
  /** The bound address. */
  readonly hostname: string;
  /** The HTTP query port, which is also the UDP update port. */
  readonly port: number;
  /** The TCP update port (port+1). */
  readonly updatePort: number;
  /** The counters now. */
  stats(): CatalogStats;
  /** The live records, sorted by name. */
  records(): CatalogRecord[];
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
  /** Resolves when the server has stopped (with the error that stopped it, if any). */
  closed(): Promise<Error | void>;
}

function isAddrInUse(e: unknown): boolean {
  return e instanceof Deno.errors.AddrInUse || (e as { code?: string })?.code === "EADDRINUSE";
}

function bindUdp(hostname: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket({ type: hostname.includes(":") ? "udp6" : "udp4" });
    const onError = (e: Error) => {
      sock.close();
      reject(e);
    };
    sock.once("error", onError);
    sock.bind({ port, address: hostname }, () => {
      sock.off("error", onError);
      resolve(sock);
    });
  });
}

interface Sockets {
  http: Deno.TcpListener;
  udp: dgram.Socket;
  tcp: Deno.TcpListener;
}

/** Binds TCP P, UDP P and TCP P+1; with port 0, retries until a P has all three free. */
async function bindAll(hostname: string, port: number): Promise<Sockets> {
  for (let attempt = 0;; attempt++) {
    let http: Deno.TcpListener | undefined, udp: dgram.Socket | undefined;
    try {
      http = Deno.listen({ hostname, port });
      const p = http.addr.port;
      if (p >= 65535) throw new Deno.errors.AddrInUse(`Cannot use port ${p}: no port above it`);
      udp = await bindUdp(hostname, p);
      const tcp = Deno.listen({ hostname, port: p + 1 });
      return { http, udp, tcp };
    } catch (e) {
      http?.close();
      udp?.close();
      if (port !== 0 || !isAddrInUse(e) || attempt >= 50) throw e;
    }
  }
}

class Server implements CatalogServer {
  readonly hostname: string;
  readonly port: number;
  readonly updatePort: number;
  #o: Required<Omit<CatalogServerOptions, "signal" | "log" | "hostname" | "port">>;
  #log: (message: string) => void;
  #sockets: Sockets;
  #table: RecordTable;
  #intake: UpdateIntake;
  #sweepTimer: ReturnType<typeof setInterval>;
  #httpConns = new Set<Deno.Conn>();
  #closing = false;
  #loops: Promise<void>[];
  #closed: Promise<Error | void>;
  #error: Error | undefined;
  #dashboard: string;
  #counters: Omit<
    CatalogStats,
    "type" | "starttime" | "records" | "expired" | "connections_open" | "backlog"
  >;
  #started = Date.now();

  constructor(sockets: Sockets, hostname: string, options: CatalogServerOptions) {
    this.#sockets = sockets;
    this.hostname = hostname;
    this.port = sockets.http.addr.port;
    this.updatePort = sockets.tcp.addr.port;
    this.#o = {
      lifetimeSeconds: options.lifetimeSeconds ?? 900,
      maxUpdateBytes: options.maxUpdateBytes ?? 1 << 20,
      updateRate: options.updateRate ?? 20,
      updateBurst: options.updateBurst ?? 200,
      maxBacklog: options.maxBacklog ?? 10_000,
      maxRecords: options.maxRecords ?? 100_000,
      maxConnections: options.maxConnections ?? 64,
      requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
      replyTimeoutMs: options.replyTimeoutMs ?? 60_000,
      updateTimeoutMs: options.updateTimeoutMs ?? 5_000,
      maxRequestBytes: options.maxRequestBytes ?? 16_384,
      dashboardRefreshMs: options.dashboardRefreshMs ?? 2000,
    };
    this.#log = options.log ?? (() => {});
    this.#table = new RecordTable({
      lifetimeSeconds: this.#o.lifetimeSeconds,
      maxRecords: this.#o.maxRecords,
    });
    const limiter = new RateLimiter({
      ratePerSecond: this.#o.updateRate,
      burst: this.#o.updateBurst,
    });
    this.#dashboard = dashboardHtml({ refreshMs: this.#o.dashboardRefreshMs });
    this.#counters = {
      updates_received: 0,
      updates_accepted: 0,
      dropped_malformed: 0,
      dropped_oversized: 0,
      dropped_flood: 0,
      dropped_backlog: 0,
      dropped_full: 0,
      dropped_timeout: 0,
      queries: 0,
      queries_bad: 0,
      queries_refused: 0,
      http_timeouts: 0,
    };
    this.#intake = new UpdateIntake({
      table: this.#table,
      limiter,
      counters: this.#counters,
      maxUpdateBytes: this.#o.maxUpdateBytes,
      maxBacklog: this.#o.maxBacklog,
      maxConnections: this.#o.maxConnections,
      updateTimeoutMs: this.#o.updateTimeoutMs,
      maxRecords: this.#o.maxRecords,
      log: this.#log,
    });
    sockets.udp.on(
      "message",
      (msg: Uint8Array, rinfo: { address: string }) => this.#intake.onDatagram(msg, rinfo.address),
    );
    sockets.udp.on("error", (e: Error) => this.#log(`udp: ${e.message}`));
    this.#sweepTimer = setInterval(
      () => this.#table.sweep(Date.now()),
      Math.min(this.#o.lifetimeSeconds * 500, 10_000),
    );
    Deno.unrefTimer(this.#sweepTimer);
    this.#loops = [
      this.#acceptLoop(sockets.http, (c) => this.#onHttp(c)),
      this.#acceptLoop(sockets.tcp, (c) => this.#intake.onConnection(c)),
    ];
    this.#closed = Promise.all(this.#loops).then(() => this.#error);
    if (options.signal?.aborted) this.close();
    else options.signal?.addEventListener("abort", () => this.close(), { once: true });
  }

  stats(): CatalogStats {
    this.#table.sweep(Date.now());
    return {
      type: "catalog_stats",
      starttime: Math.floor(this.#started / 1000),
      records: this.#table.size,
      ...this.#counters,
      expired: this.#table.expired,
      connections_open: this.#httpConns.size,
      backlog: this.#intake.backlog,
    };
  }

  records(): CatalogRecord[] {
    return this.#table.list(Date.now()).map((r) => r.record);
  }

  // ---- queries ------------------------------------------------------------

  async #onHttp(conn: Deno.Conn): Promise<void> {
    if (this.#httpConns.size >= this.#o.maxConnections) {
      this.#counters.queries_refused++;
      const refusal = new TextEncoder().encode(
        responseHead("503 Service Unavailable") + "too many connections\n",
      );
      // A fresh socket's send buffer takes this without blocking; never wait on the client here.
      conn.write(refusal).catch((e) => this.#log(`refusal not sent: ${(e as Error).message}`))
        .finally(() => closeQuietly(conn));
      return;
    }
    this.#httpConns.add(conn);
    let timedOut = false;
    let timer = setTimeout(() => {
      timedOut = true;
      conn.close();
    }, this.#o.requestTimeoutMs);
    try {
      let reply: Reply;
      let head = false;
      try {
        const req = await readRequest(conn, this.#o.maxRequestBytes);
        head = req.method === "HEAD";
        reply = answerQuery(req, {
          table: this.#table,
          counters: this.#counters,
          dashboard: this.#dashboard,
          stats: () => this.stats(),
        });
      } catch (e) {
        if (timedOut || !(e instanceof SyntaxError || e instanceof RangeError)) throw e;
        if (/closed the connection/.test(e.message)) return;
        this.#counters.queries_bad++;
        reply = { status: "400 Bad Request", body: `${e.message}\n` };
      }
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        conn.close();
      }, this.#o.replyTimeoutMs);
      const text =
        responseHead(reply.status, { contentType: reply.contentType, extra: reply.extra }) +
        (head ? "" : reply.body);
      await writeAll(conn, new TextEncoder().encode(text));
    } catch (e) {
      if (timedOut) this.#counters.http_timeouts++;
      this.#log(`query connection: ${timedOut ? "client too slow" : (e as Error).message}`);
    } finally {
      clearTimeout(timer);
      this.#httpConns.delete(conn);
      if (!timedOut) closeQuietly(conn);
    }
  }

  // ---- lifetime -----------------------------------------------------------

  async #acceptLoop(
    listener: Deno.TcpListener,
    handle: (conn: Deno.Conn) => Promise<void>,
  ): Promise<void> {
    const running = new Set<Promise<void>>();
    while (!this.#closing) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (e) {
        if (this.#closing) break;
        this.#log(`accept: ${(e as Error).message}`);
        if (e instanceof Deno.errors.BadResource) {
          this.#error = e;
          break;
        }
        await new Promise((r) => setTimeout(r, 50)); // e.g. out of file descriptors: let some close
        continue;
      }
      const p = handle(conn).catch((e) => {
        this.#error ??= e as Error;
        this.#log(`connection handler failed: ${(e as Error).message}`);
      });
      running.add(p);
      p.finally(() => running.delete(p));
    }
    await Promise.all(running);
  }

  async close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      clearInterval(this.#sweepTimer);
      this.#intake.close();
      closeQuietly(this.#sockets.http);
      closeQuietly(this.#sockets.tcp);
      await new Promise<void>((r) => this.#sockets.udp.close(() => r()));
      for (const c of this.#httpConns) closeQuietly(c);
    }
    await this.#closed;
  }

  closed(): Promise<Error | void> {
    return this.#closed;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Starts a catalog server.
 *
 * @param options Port (0 for any free), interface, lifetime, limits.
 * @returns The running server; its `port` and `updatePort` are the bound ones.
 * @throws {Deno.errors.AddrInUse} If an explicit port is taken.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveCatalog } from "./server.ts";
 * await using catalog = await serveCatalog({ port: 0, hostname: "127.0.0.1" });
 * assert.notEqual(catalog.port, 0);
 * assert.equal(catalog.updatePort, catalog.port + 1);
 * ```
 */
export async function serveCatalog(options: CatalogServerOptions = {}): Promise<CatalogServer> {
  const hostname = options.hostname ?? "0.0.0.0";
  const port = options.port ?? 9097;
  if (!(Number.isInteger(port) && port >= 0 && port < 65535)) {
    throw new RangeError(`Cannot listen: port must be 0 to 65534, got ${port}`);
  }
  if (options.lifetimeSeconds !== undefined && !(options.lifetimeSeconds > 0)) {
    throw new RangeError(
      `Cannot keep records: lifetime must be positive, got ${options.lifetimeSeconds}`,
    );
  }
  return new Server(await bindAll(hostname, port), hostname, options);
}
