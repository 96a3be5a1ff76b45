/**
 * The update side of the catalog: admitting updates (per-source rate limit,
 * size bound), queueing them, and decoding and storing them off the query
 * path in time-boxed slices. Every drop is counted.
 *
 * @module
 */

import type { CatalogRecord } from "./client.ts";
import type { RateLimiter } from "./rate_limit.ts";
import { type RecordTable, stampRecord } from "./records.ts";
import { decodeUpdate, UpdateError } from "./update.ts";

/** The update counters (shared with the server's `/stats.json`). */
export interface IntakeCounters {
  /** Updates that arrived (UDP datagrams and TCP update connections). */
  updates_received: number;
  /** Updates stored. */
  updates_accepted: number;
  /** Not JSON nor nvpair, bad zlib, not an object, not UTF-8. */
  dropped_malformed: number;
  /** Larger than the size limit, compressed or inflated. */
  dropped_oversized: number;
  /** Over the per-source rate. */
  dropped_flood: number;
  /** The decode backlog, or the TCP update connections, were full. */
  dropped_backlog: number;
  /** The table held the most records allowed. */
  dropped_full: number;
  /** TCP updates not finished in time. */
  dropped_timeout: number;
}

/** Options of {@linkcode UpdateIntake}. */
export interface IntakeOptions {
  /** Where records go. */
  table: RecordTable;
  /** The per-source rate limit. */
  limiter: RateLimiter;
  /** The counters to add to. */
  counters: IntakeCounters;
  /** The largest update, compressed or inflated. */
  maxUpdateBytes: number;
  /** Updates waiting to be decoded before more are dropped. */
  maxBacklog: number;
  /** Concurrent TCP update connections. */
  maxConnections: number;
  /** Time a TCP update connection has to send its update and close, in ms. */
  updateTimeoutMs: number;
  /** The table's bound, for the message. */
  maxRecords: number;
  /** One line per dropped update. */
  log: (message: string) => void;
}

interface PendingUpdate {
  bytes: Uint8Array;
  address: string;
}

/** Time spent decoding updates before yielding to the event loop, in ms. */
const DRAIN_SLICE_MS = 8;

/**
 * The sender's IP address of a connection (IPv4-mapped IPv6 addresses as IPv4).
 *
 * @param addr The connection's remote address.
 * @returns The IP address.
 */
export function sourceAddress(addr: Deno.Addr): string {
  const host = (addr as Deno.NetAddr).hostname ?? "";
  return host.startsWith("::ffff:") && host.includes(".") ? host.slice(7) : host;
}

/**
 * Closes a connection or listener that may already be closed.
 *
 * @param c The resource.
 */
export function closeQuietly(c: { close(): void }): void {
  try {
    c.close();
  } catch (e) {
    if (!(e instanceof Deno.errors.BadResource)) throw e; // already closed
  }
}

/** Admits, queues, decodes and stores catalog updates. */
export class UpdateIntake {
  #o: IntakeOptions;
  #table: RecordTable;
  #limiter: RateLimiter;
  #counters: IntakeCounters;
  #log: (message: string) => void;
  #queue: PendingUpdate[] = [];
  #queueHead = 0;
  #drainTimer: ReturnType<typeof setTimeout> | undefined;
  #updateConns = new Set<Deno.Conn>();
  #closing = false;

  /** @param options Table, limiter, counters and limits. */
  constructor(options: IntakeOptions) {
    this.#o = options;
    this.#table = options.table;
    this.#limiter = options.limiter;
    this.#counters = options.counters;
    this.#log = options.log;
  }

  /** Updates waiting to be decoded. */
  get backlog(): number {
    return this.#queue.length - this.#queueHead;
  }

  /** Stops decoding and closes the open TCP update connections. */
  close(): void {
    this.#closing = true;
    clearTimeout(this.#drainTimer);
    this.#drainTimer = undefined;
    for (const c of this.#updateConns) closeQuietly(c);
  }

  #admit(address: string, size: number): boolean {
    this.#counters.updates_received++;
    if (!this.#limiter.allow(address, Date.now())) {
      this.#counters.dropped_flood++;
      this.#log(`update from ${address} dropped: over the rate limit`);
      return false;
    }
    if (size > this.#o.maxUpdateBytes) {
      this.#counters.dropped_oversized++;
      this.#log(`update from ${address} dropped: ${size} bytes`);
      return false;
    }
    return true;
  }

  /**
   * Takes one UDP datagram.
   *
   * @param msg The datagram.
   * @param address The sender's IP address.
   */
  onDatagram(msg: Uint8Array, address: string): void {
    if (this.#closing || !this.#admit(address, msg.length)) return;
    this.#enqueue({ bytes: msg, address });
  }

  #enqueue(u: PendingUpdate): void {
    if (this.#queue.length - this.#queueHead >= this.#o.maxBacklog) {
      this.#counters.dropped_backlog++;
      this.#log(`update from ${u.address} dropped: backlog full`);
      return;
    }
    this.#queue.push(u);
    this.#drainTimer ??= setTimeout(() => this.#drain(), 0);
  }

  /** Decodes queued updates for a few ms, then yields so that queries go on. */
  #drain(): void {
    this.#drainTimer = undefined;
    const start = performance.now();
    while (this.#queueHead < this.#queue.length && performance.now() - start < DRAIN_SLICE_MS) {
      const u = this.#queue[this.#queueHead];
      this.#queue[this.#queueHead++] = undefined as unknown as PendingUpdate;
      this.#apply(u);
    }
    if (this.#queueHead === this.#queue.length) {
      this.#queue = [];
      this.#queueHead = 0;
    } else {
      if (this.#queueHead > 4096) {
        this.#queue = this.#queue.slice(this.#queueHead);
        this.#queueHead = 0;
      }
      if (!this.#closing) this.#drainTimer = setTimeout(() => this.#drain(), 0);
    }
  }

  #apply(u: PendingUpdate): void {
    let update: CatalogRecord;
    try {
      update = decodeUpdate(u.bytes, this.#o.maxUpdateBytes);
    } catch (e) {
      if (!(e instanceof UpdateError)) throw e;
      if (e.problem === "oversized") this.#counters.dropped_oversized++;
      else this.#counters.dropped_malformed++;
      this.#log(`update from ${u.address} dropped: ${e.message}`);
      return;
    }
    const now = Date.now();
    if (this.#table.update(stampRecord(update, u.address, now), now) === "full") {
      this.#counters.dropped_full++;
      this.#log(
        `update from ${u.address} dropped: the catalog holds ${this.#o.maxRecords} records`,
      );
      return;
    }
    this.#counters.updates_accepted++;
  }

  /**
   * Reads one TCP update connection (port+1) until the sender closes it.
   *
   * @param conn The accepted connection.
   * @returns When the update is queued or dropped.
   */
  async onConnection(conn: Deno.Conn): Promise<void> {
    const address = sourceAddress(conn.remoteAddr);
    if (this.#updateConns.size >= this.#o.maxConnections) {
      this.#counters.updates_received++;
      this.#counters.dropped_backlog++;
      conn.close();
      return;
    }
    if (!this.#admit(address, 0)) {
      conn.close();
      return;
    }
    this.#updateConns.add(conn);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      conn.close();
    }, this.#o.updateTimeoutMs);
    const max = this.#o.maxUpdateBytes;
    const buf = new Uint8Array(Math.min(max + 1, 65_536));
    let data = buf;
    let n = 0;
    try {
      for (;;) {
        if (n === data.length) {
          if (data.length > max) {
            this.#counters.dropped_oversized++;
            this.#log(`TCP update from ${address} dropped: over ${max} bytes`);
            return;
          }
          const bigger = new Uint8Array(Math.min(data.length * 2, max + 1));
          bigger.set(data);
          data = bigger;
        }
        const got = await conn.read(data.subarray(n));
        if (got === null) break;
        n += got;
      }
      this.#enqueue({ bytes: data.subarray(0, n), address });
    } catch (e) {
      if (timedOut) {
        this.#counters.dropped_timeout++;
        this.#log(
          `TCP update from ${address} dropped: not sent within ${this.#o.updateTimeoutMs} ms`,
        );
      } else {
        this.#log(`TCP update from ${address} failed: ${(e as Error).message}`);
      }
    } finally {
      clearTimeout(timer);
      this.#updateConns.delete(conn);
      if (!timedOut) closeQuietly(conn);
    }
  }
}
