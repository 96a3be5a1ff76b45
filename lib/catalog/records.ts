/**
 * The catalog's table of records: stamping an update with the sender's
 * address and the time, keying it, expiring it, and listing what is live.
 * Pure data: no I/O, the time is passed in.
 *
 * @module
 */

import type { CatalogRecord } from "./client.ts";
import { type JxExpr, matchesJx } from "./jx.ts";

/** One live record. */
export interface StoredRecord {
  /** `address:port:name[:uuid]`, as CCTools keys records. */
  key: string;
  /** The record as served (with `name`, `lastheardfrom`, `address` first). */
  record: CatalogRecord;
  /** `record` as compact JSON, made once per update. */
  json: string;
  /** When it expires, in ms since the epoch. */
  expiresAt: number;
}

/** Options of {@linkcode RecordTable}. */
export interface RecordTableOptions {
  /** How long a record lives without a new update, in seconds. */
  lifetimeSeconds: number;
  /** The most records held; updates for new keys beyond it are refused. */
  maxRecords: number;
}

/** What {@linkcode RecordTable.update} did. */
export type UpdateOutcome = "added" | "replaced" | "full";

/**
 * Whether an address is on the loopback network (127.0.0.0/8 or ::1),
 * where CCTools' reverse lookup names the sender `localhost`.
 *
 * @param address An IPv4 or IPv6 address.
 * @returns True for loopback.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isLoopback } from "./records.ts";
 * assert.equal(isLoopback("127.0.0.2"), true);
 * assert.equal(isLoopback("10.0.0.1"), false);
 * ```
 */
export function isLoopback(address: string): boolean {
  return address.startsWith("127.") || address === "::1";
}

/**
 * Adds what the catalog knows to an update: `name` (`localhost` for a
 * loopback sender, else the sender's own `name`, else its address),
 * `lastheardfrom` (epoch seconds) and `address` (the source IP). These three
 * come first, as in CCTools' replies.
 *
 * @param update The record as sent.
 * @param address The sender's IP address.
 * @param now The time, in ms since the epoch.
 * @returns A new record.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stampRecord } from "./records.ts";
 * const r = stampRecord({ type: "wq_master", name: "x" }, "127.0.0.1", 5000);
 * assert.deepEqual(r, {
 *   name: "localhost", // the sender is on this machine
 *   lastheardfrom: 5,
 *   address: "127.0.0.1",
 *   type: "wq_master",
 * });
 * assert.deepEqual(Object.keys(r), ["name", "lastheardfrom", "address", "type"]);
 * ```
 */
export function stampRecord(update: CatalogRecord, address: string, now: number): CatalogRecord {
  const sent = typeof update.name === "string" && update.name !== "" ? update.name : undefined;
  const name = isLoopback(address) ? "localhost" : (sent ?? address);
  const record: CatalogRecord = { name, lastheardfrom: Math.floor(now / 1000), address };
  for (const [k, v] of Object.entries(update)) {
    if (k !== "name" && k !== "lastheardfrom" && k !== "address") record[k] = v;
  }
  if (Array.isArray(record.network_interfaces)) {
    record.network_interfaces = record.network_interfaces.map(bothAddressKeys);
  }
  return record;
}

/**
 * A `network_interfaces` entry with its address under both keys: CCTools 9
 * workers read `host` and 7.17 workers `address`, and each crashes on an
 * entry with only the other one (spec-11 §8.1), so the catalog gives every
 * entry both.
 *
 * @param entry An entry as a manager sent it.
 * @returns The entry with `host` and `address` (anything else unchanged).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(bothAddressKeys({ interface: "eth0", address: "192.0.2.2" }), {
 *   interface: "eth0",
 *   address: "192.0.2.2",
 *   host: "192.0.2.2",
 * });
 * ```
 */
export function bothAddressKeys(entry: unknown): unknown {
  if (entry === null || typeof entry !== "object" || Array.isArray(entry)) return entry;
  const e = entry as Record<string, unknown>;
  if (e.host === undefined && e.address !== undefined) return { ...e, host: e.address };
  if (e.address === undefined && e.host !== undefined) return { ...e, address: e.host };
  return e;
}

/**
 * The key of a stamped record: `address:port:name`, plus `:uuid` when the
 * record has one.
 *
 * @param record A record from {@linkcode stampRecord}.
 * @returns The key.
 */
export function recordKey(record: CatalogRecord): string {
  const port = typeof record.port === "number" || typeof record.port === "string" ? record.port : 0;
  const key = `${record.address}:${port}:${record.name}`;
  return typeof record.uuid === "string" ? `${key}:${record.uuid}` : key;
}

/** The live records of a catalog, keyed as CCTools keys them. */
export class RecordTable {
  #o: RecordTableOptions;
  #records = new Map<string, StoredRecord>();
  #sorted: StoredRecord[] | undefined;
  /** Records removed because they expired. */
  expired = 0;

  /** @param options Lifetime and size bound. */
  constructor(options: RecordTableOptions) {
    if (!(options.lifetimeSeconds > 0)) {
      throw new RangeError(
        `Cannot keep records: lifetime must be positive, got ${options.lifetimeSeconds}`,
      );
    }
    this.#o = options;
  }

  /** The number of records held (some may have expired since the last sweep). */
  get size(): number {
    return this.#records.size;
  }

  /**
   * Stores a stamped record, replacing the one with the same key. It lives
   * for the table's lifetime, or for its own `lifetime` field (seconds) if
   * that is shorter.
   *
   * @param record A record from {@linkcode stampRecord}.
   * @param now The time, in ms since the epoch.
   * @returns Whether it was added, replaced an older one, or refused because the table is full.
   */
  update(record: CatalogRecord, now: number): UpdateOutcome {
    const key = recordKey(record);
    const had = this.#records.has(key);
    if (!had && this.#records.size >= this.#o.maxRecords) {
      this.sweep(now);
      if (this.#records.size >= this.#o.maxRecords) return "full";
    }
    let life = this.#o.lifetimeSeconds;
    const asked = record.lifetime;
    if (typeof asked === "number" && asked > 0 && asked < life) life = asked;
    this.#records.set(key, {
      key,
      record,
      json: JSON.stringify(record),
      expiresAt: now + life * 1000,
    });
    this.#sorted = undefined;
    return had ? "replaced" : "added";
  }

  /**
   * Removes the records that have expired.
   *
   * @param now The time, in ms since the epoch.
   * @returns How many were removed.
   */
  sweep(now: number): number {
    let n = 0;
    for (const [key, r] of this.#records) {
      if (r.expiresAt <= now) {
        this.#records.delete(key);
        n++;
      }
    }
    if (n > 0) {
      this.#sorted = undefined;
      this.expired += n;
    }
    return n;
  }

  /**
   * The live records, sorted by name (then key), optionally filtered.
   *
   * @param now The time, in ms since the epoch.
   * @param filter A JX expression records must make true.
   * @returns The records (do not modify them).
   */
  list(now: number, filter?: JxExpr): StoredRecord[] {
    this.sweep(now);
    this.#sorted ??= [...this.#records.values()].sort((a, b) =>
      compareText(String(a.record.name), String(b.record.name)) || compareText(a.key, b.key)
    );
    return filter ? this.#sorted.filter((r) => matchesJx(filter, r.record)) : this.#sorted;
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
