/**
 * Finding a manager by project name (`-M PROJECT`): ask the catalogs for
 * every record, keep the managers whose project matches the pattern in
 * full, and pick one at random, avoiding those that just failed or went
 * away while others are on offer.
 *
 * @module
 */

import { type CatalogAddress, type CatalogRecord, queryCatalog } from "../catalog/client.ts";
import type { Dialect } from "../wire/protocol.ts";

/** A manager found in a catalog, with the addresses to try in order. */
export interface FoundManager {
  project: string;
  port: number;
  /**
   * Addresses to try: the record's `network_interfaces` (each entry's
   * `address`, as protocol 11 writes it, else its `host`, as protocol 9
   * does), then the record's `address`.
   */
  hosts: string[];
  /** The protocol the record gives: `protocol: 11`, or 9 when absent (protocol-9 records have none). */
  protocol: Dialect;
  /** The record says `"ssl": true`: the manager wants TLS. */
  ssl: boolean;
}

/**
 * Compiles a project pattern as CCTools does (a regular expression that
 * must match the whole project name).
 *
 * @param pattern The `-M` argument.
 * @returns The expression.
 * @throws {RangeError} If it is not a valid regular expression.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.match("simulation", projectMatcher("sim.*"));
 * assert.doesNotMatch("simulation", projectMatcher("sim")); // the whole name must match
 * ```
 */
export function projectMatcher(pattern: string): RegExp {
  try {
    return new RegExp(`^(?:${pattern})$`);
  } catch (e) {
    throw new RangeError(`Cannot use option '-M': '${pattern}' is not a valid regular expression`, {
      cause: e,
    });
  }
}

/**
 * The managers among catalog records that match a project pattern.
 *
 * @param records Catalog records.
 * @param matcher From {@linkcode projectMatcher}.
 * @returns The matching managers.
 */
export function matchingManagers(records: CatalogRecord[], matcher: RegExp): FoundManager[] {
  const out: FoundManager[] = [];
  for (const r of records) {
    if (r.type !== "wq_master" && r.type !== "wq_manager") continue;
    if (typeof r.project !== "string" || !matcher.test(r.project)) continue;
    const port = Number(r.port);
    if (!Number.isInteger(port) || port <= 0 || port > 65535) continue;
    const hosts: string[] = [];
    if (Array.isArray(r.network_interfaces)) {
      for (const i of r.network_interfaces) {
        const e = i as { address?: unknown; host?: unknown } | null;
        const h = typeof e?.address === "string" && e.address ? e.address : e?.host;
        if (typeof h === "string" && h && !hosts.includes(h)) hosts.push(h);
      }
    }
    if (typeof r.address === "string" && r.address && !hosts.includes(r.address)) {
      hosts.push(r.address);
    }
    const protocol: Dialect = r.protocol === 11 || r.protocol === "11" ? 11 : 9;
    const ssl = r.ssl === true || r.ssl === "true";
    if (hosts.length > 0) out.push({ project: r.project, port, hosts, protocol, ssl });
  }
  return out;
}

/**
 * Looks managers up in the catalogs, remembering which ones failed lately.
 */
export class ManagerFinder {
  #catalogs: CatalogAddress[];
  #matcher: RegExp;
  #avoidUntil = new Map<string, number>();

  /**
   * @param catalogs Where to look, in order.
   * @param pattern The project pattern.
   */
  constructor(catalogs: CatalogAddress[], pattern: string) {
    this.#catalogs = catalogs;
    this.#matcher = projectMatcher(pattern);
  }

  /** Marks a manager as just failed or gone: it is picked last for `seconds`. */
  avoid(m: FoundManager, seconds = 60): void {
    this.#avoidUntil.set(`${m.hosts[0]}:${m.port}`, Date.now() + seconds * 1000);
  }

  /**
   * Picks a matching manager.
   *
   * @returns The manager, or a reason why none was found.
   */
  async find(): Promise<FoundManager | { none: string }> {
    const problems: string[] = [];
    for (const c of this.#catalogs) {
      let records: CatalogRecord[];
      try {
        records = await queryCatalog(c);
      } catch (e) {
        problems.push((e as Error).message);
        continue;
      }
      const found = matchingManagers(records, this.#matcher);
      if (found.length === 0) {
        problems.push(
          `catalog ${c.host}:${c.port} lists no manager for project '${
            this.#matcher.source.slice(4, -2)
          }'`,
        );
        continue;
      }
      const now = Date.now();
      const fresh = found.filter((m) =>
        (this.#avoidUntil.get(`${m.hosts[0]}:${m.port}`) ?? 0) < now
      );
      const pool = fresh.length > 0 ? fresh : found;
      return pool[Math.floor(Math.random() * pool.length)];
    }
    return { none: problems.join("; ") };
  }
}
