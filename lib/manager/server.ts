/**
 * The manager's network edge: the listener, the accept loop, one read loop
 * per connection (authentication, the first line, then a worker's
 * `WorkerConn` or a status reply), the sweep timer, and closing it all.
 * What it learns it reports to the reactor's handlers; what the reactor
 * sends goes out through the {@linkcode ConnComm} it registers each worker
 * with.
 *
 * @module
 */

import type { ClockTimer } from "../clock.ts";
import { errorMessage, ProtocolError } from "../errors.ts";
import { FrameWriter } from "../wire/frame_writer.ts";
import { LineReader } from "../wire/line_reader.ts";
import { clip, isDialect, MAX_LINE } from "../wire/protocol.ts";
import { parseStatusRequest } from "../wire/status_request.ts";
import { admit, openListener, type SslOptions } from "./access.ts";
import type { ConnComm } from "./comm.ts";
import type { Reactor } from "./reactor.ts";
import { onResult, onResultArriving } from "./reactor_tasks.ts";
import {
  onCacheInvalid,
  onCacheUpdate,
  onConnectionClosed,
  onSweepTick,
  onWorkerConnected,
  onWorkerGone,
  onWorkerUpdate,
} from "./reactor_workers.ts";
import { type ManagerFacts, statusReply } from "./status.ts";
import { startSweep } from "./sweep.ts";
import { type ConnHost, refusal, WorkerConn } from "./worker_conn.ts";
import { WorkerInfo } from "./worker_info.ts";

const STATUS_REQUESTS = new Set([
  "queue_status",
  "worker_status",
  "task_status",
  "wable_status",
  "resources_status",
]);

/** Options of {@linkcode Server}. */
export interface ServerOptions {
  /** The address and port to listen on. */
  hostname: string;
  port: number;
  /** Speak TLS. */
  ssl?: SslOptions;
  /** Bytes of a task's stdout kept. */
  maxStdout: number;
  /** Name, port and start time, for status replies. */
  facts: () => ManagerFacts;
  /** The whole HTTP response to `GET /metrics` (`metrics.ts`); without it, a status reply. */
  metrics?: () => string;
}

function closeConn(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch (e) {
    if (!(e instanceof Deno.errors.BadResource)) throw e;
  }
}

/** The listener and every connection of a manager. */
export class Server {
  readonly #r: Reactor;
  readonly #comm: ConnComm;
  readonly #listener: Deno.Listener;
  readonly #accepting: Promise<void>;
  readonly #timer: ClockTimer;
  readonly #maxStdout: number;
  readonly #facts: () => ManagerFacts;
  readonly #metrics: (() => string) | undefined;
  readonly #conns = new Map<number, { conn: Deno.Conn; wc?: WorkerConn }>();
  #nextConnId = 1;
  /** Required of every new connection, if set. */
  password: Uint8Array | undefined;

  /**
   * Listens at once, and starts the sweep on the reactor's clock.
   *
   * @param r The reactor events go to.
   * @param comm The reactor's way out, which learns each worker's connection.
   * @param options Where to listen, TLS, the stdout limit, the facts for status replies.
   * @throws {Deno.errors.AddrInUse} If the port is taken.
   */
  constructor(r: Reactor, comm: ConnComm, options: ServerOptions) {
    this.#r = r;
    this.#comm = comm;
    this.#maxStdout = options.maxStdout;
    this.#facts = options.facts;
    this.#metrics = options.metrics;
    const { hostname, port, ssl } = options;
    this.#listener = openListener({
      hostname,
      port,
      ssl,
      onCertificate: (fp) =>
        r.comm.log(
          "warn",
          `listening with TLS; the certificate's SHA-256 fingerprint is ${fp} (for workers' --ssl-fingerprint)`,
        ),
    });
    this.#accepting = this.#acceptLoop();
    this.#timer = startSweep(r.clock, () => onSweepTick(r, this.#traffic), r.keepalive);
  }

  /** The port it listens on. */
  get port(): number {
    return (this.#listener.addr as Deno.NetAddr).port;
  }

  /** Bytes written to and read from the connections still open. */
  liveBytes(): { sent: number; received: number } {
    let sent = 0, received = 0;
    for (const e of this.#conns.values()) {
      sent += e.wc?.writer.bytesWritten ?? 0;
      received += e.wc?.reader.bytesRead ?? 0;
    }
    return { sent, received };
  }

  /**
   * Bytes written to and read from one worker's connection so far.
   *
   * @param id The worker's id.
   * @returns Zeros if it is not connected.
   */
  traffic(id: number): { sent: number; received: number } {
    const t = this.#traffic(id);
    return { sent: t.written, received: t.read };
  }

  readonly #traffic = (id: number) => {
    const wc = this.#conns.get(id)?.wc;
    return { read: wc?.reader.bytesRead ?? 0, written: wc?.writer.bytesWritten ?? 0 };
  };

  /**
   * Stops listening and sweeping, gives the writers up to 2 s to flush what
   * is queued (the reactor's releases), and closes every connection.
   */
  async close(): Promise<void> {
    this.#timer.cancel();
    try {
      this.#listener.close();
    } catch (e) {
      if (!(e instanceof Deno.errors.BadResource)) throw e;
    }
    // The port is free only once the pending accept has been cancelled.
    await this.#accepting;
    const flushes = [...this.#conns.values()].map((c) => c.wc?.writer.flushed());
    // A worker that reads nothing gets 2 s; the timer must not outlive the
    // close (a script would wait for it before it exits).
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all(flushes), new Promise((r) => timer = setTimeout(r, 2000))]);
    clearTimeout(timer);
    for (const c of this.#conns.values()) closeConn(c.conn);
    this.#conns.clear();
  }

  /**
   * Accepts until the listener closes. An error that concerns one
   * connection (reset before it was accepted: ENOTCONN) or a passing
   * shortage (out of file descriptors) is logged, and accepting goes on.
   */
  async #acceptLoop(): Promise<void> {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await this.#listener.accept();
      } catch (e) {
        if (this.#r.closed || e instanceof Deno.errors.BadResource) return;
        this.#r.comm.log("warn", `cannot accept a connection: ${errorMessage(e)}`);
        await new Promise((r) => setTimeout(r, 10)); // let descriptors free up
        continue;
      }
      this.#serve(conn);
    }
  }

  async #serve(conn: Deno.Conn): Promise<void> {
    const r = this.#r;
    const log = r.comm.log;
    const id = this.#nextConnId++;
    const remote = conn.remoteAddr as Deno.NetAddr;
    const addr = `${remote.hostname}:${remote.port}`;
    const entry: { conn: Deno.Conn; wc?: WorkerConn } = { conn };
    this.#conns.set(id, entry);
    const reader = new LineReader(conn, { maxLine: MAX_LINE });
    const writer = new FrameWriter(conn, () => closeConn(conn), { defer: this.#comm.defer });
    const info = new WorkerInfo(id, addr, { connectedAt: r.clock.now() });
    let isWorker = false;
    try {
      // Inside the try: a connection reset at once may refuse it.
      if ("setNoDelay" in conn) (conn as Deno.TcpConn).setNoDelay(true);
      // A peer must get in and say who it is within the keepalive timeout.
      const limitMs = r.keepalive.timeoutMs;
      const password = this.password;
      let timedOut = false;
      const timer = r.clock.setTimeout(() => {
        timedOut = true;
        const what = password ? "did not authenticate and send a first line" : "no first line";
        log("warn", `disconnected ${addr}: ${what} within ${limitMs / 1000} s`);
        closeConn(conn);
      }, limitMs);
      let first: string | null;
      try {
        await admit(conn, { reader, writer, password, timeoutMs: limitMs });
        first = await reader.readLine();
      } catch (e) {
        if (timedOut) return; // closed by the timer, and logged there
        throw e;
      } finally {
        timer.cancel();
      }
      if (first === null) return;
      const word = first.split(" ")[0];
      const protocol = /^workqueue (\d+) /.exec(first)?.[1];
      if (protocol !== undefined && !isDialect(Number(protocol))) {
        // As CCTools' managers do: close without a byte, and block no host.
        log("warn", `refused worker ${addr}: ${refusal(Number(protocol))}`);
        return;
      }
      if (word === "workqueue") {
        if (!onWorkerConnected(r, info)) return;
        isWorker = true;
        this.#comm.attach(id, { writer, close: () => closeConn(conn) });
        const wc = new WorkerConn(info, { reader, writer }, this.#host, {
          maxStdout: this.#maxStdout,
          clock: r.clock,
        });
        entry.wc = wc;
        await wc.run(first);
        onWorkerGone(r, info, "removed", info.leaving ? undefined : "it closed the connection");
      } else if (STATUS_REQUESTS.has(word) || word === "GET") {
        const metrics = parseStatusRequest(first)?.what === "metrics" ? this.#metrics : undefined;
        writer.send(metrics ? metrics() : statusReply(first, r.core, this.#facts(), r.categories));
        await writer.flushed();
      } else if (first === "auth password sha1") {
        throw new ProtocolError(
          "Cannot accept connection: the peer wants password authentication, but this manager has no password",
        );
      } else {
        throw new ProtocolError(
          `Cannot accept connection: first line '${clip(first)}' is not a Work Queue handshake`,
        );
      }
    } catch (e) {
      if (r.closed) return;
      // A failed write closes the socket, so the read then fails as "operation canceled":
      // the write's error says what happened.
      if (isWorker) onWorkerGone(r, info, "lost", errorMessage(writer.error ?? e));
      else log("warn", `disconnected ${addr}: ${errorMessage(e)}`);
    } finally {
      if (isWorker) {
        onConnectionClosed(r, { read: reader.bytesRead, written: writer.bytesWritten });
        this.#comm.detach(id);
      }
      this.#conns.delete(id);
      closeConn(conn);
    }
  }

  /** What a worker's connection reports, passed on to the reactor. */
  readonly #host: ConnHost = {
    onWorkerUpdate: (w) => onWorkerUpdate(this.#r, w),
    taskOn: (w, id) => w.tasks.get(id),
    outputNames: (task) => this.#r.core.dispatches.get(task.id)?.outputNames ?? [],
    onTaskReceiving: (w, task) => onResultArriving(this.#r, w, task),
    onTaskResult: (w, task, res, outputs) => onResult(this.#r, w, task, res, outputs),
    onCacheUpdate: (w, name, size) => onCacheUpdate(this.#r, w, name, size),
    onCacheInvalid: (w, name, text) => onCacheInvalid(this.#r, w, name, text),
    log: (level, msg) => this.#r.comm.log(level, msg),
  };
}
