/**
 * Managers and their foremen as a tree, for `wq-status`. A foreman
 * advertises itself as a manager of its own, with `my_manager`: the
 * `IP:PORT` of the manager it serves, as its connection there sees it
 * (CCTools' foreman, and ours through `WorkQueue.setUplink()`). Its row goes
 * under that manager's, as CCTools' `work_queue_status` prints it: `>name`
 * one level down, `->name` two, and so on.
 *
 * A record names its manager by an address, while a catalog knows a
 * manager by the `name` and `address` it stamped on its record (and the
 * `network_interfaces` a CCTools 7.17 manager sends). The tree matches
 * `my_manager` against each of those with the record's port, and against
 * the addresses the `name` resolves to (CCTools' status tool matches only
 * the last). Unlike it, a foreman whose manager is not listed (not
 * advertised, gone, or filtered out) is shown at the top, not hidden.
 *
 * @module
 */

import type { CatalogRecord } from "./client.ts";

/** A manager's row: its record and how deep it sits (0: top). */
export interface TreeRow {
  record: CatalogRecord;
  depth: number;
}

/** Options of {@linkcode managerTree}. */
export interface ManagerTreeOptions {
  /** The IP addresses each host name resolves to (names not in it match only as written). */
  resolved?: ReadonlyMap<string, readonly string[]>;
  /** Only these records, with the foremen under them (default: all). */
  keep?: (record: CatalogRecord) => boolean;
  /** The order of rows at each level (default: as given). */
  compare?: (a: CatalogRecord, b: CatalogRecord) => number;
}

/** CCTools' foreman before it has a manager, or one with none. */
const NO_MANAGER = "127.0.0.1:-1";

/**
 * The manager a record names in `my_manager`, if any.
 *
 * @param record A catalog record.
 * @returns `IP:PORT`, or `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(uplinkOf({ my_manager: "10.0.0.1:9123" }), "10.0.0.1:9123");
 * assert.equal(uplinkOf({ my_manager: "127.0.0.1:-1" }), undefined);
 * assert.equal(uplinkOf({ project: "top" }), undefined);
 * ```
 */
export function uplinkOf(record: CatalogRecord): string | undefined {
  const m = record.my_manager;
  return typeof m === "string" && m !== "" && m !== NO_MANAGER ? m : undefined;
}

/**
 * Every `host:port` a foreman may name a manager by: its `name`, its
 * `address`, the addresses of its `network_interfaces` (`address` or
 * `host`), and the addresses its name resolves to, each with its `port`.
 *
 * @param record A manager's catalog record.
 * @param resolved The addresses host names resolve to.
 * @returns The `host:port` strings (empty without a port).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const r = { name: "localhost", address: "127.0.0.1", port: 9123 };
 * assert.deepEqual(
 *   [...managerAddresses(r, new Map([["localhost", ["127.0.0.1", "::1"]]]))],
 *   ["localhost:9123", "127.0.0.1:9123", "::1:9123"],
 * );
 * ```
 */
export function managerAddresses(
  record: CatalogRecord,
  resolved: ReadonlyMap<string, readonly string[]> = new Map(),
): Set<string> {
  const out = new Set<string>();
  const port = record.port;
  if (typeof port !== "number" && typeof port !== "string") return out;
  const hosts: unknown[] = [record.name, record.address];
  if (Array.isArray(record.network_interfaces)) {
    for (const e of record.network_interfaces as Record<string, unknown>[]) {
      hosts.push(e?.address, e?.host);
    }
  }
  if (typeof record.name === "string") hosts.push(...resolved.get(record.name) ?? []);
  for (const h of hosts) if (typeof h === "string" && h !== "") out.add(`${h}:${port}`);
  return out;
}

/**
 * Orders manager records as a tree: each one whose `my_manager` names
 * another listed record ({@linkcode managerAddresses}) goes under it, one
 * level deeper; the others are at the top. A cycle of foremen naming each
 * other is broken where it is entered; each record appears once.
 *
 * @param records The managers' records.
 * @param options Resolved names, which to keep, the order at each level.
 * @returns The rows, each parent before its foremen.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const top = { project: "top", name: "localhost", address: "127.0.0.1", port: 9000 };
 * const fm = { project: "fm", name: "localhost", port: 9001, my_manager: "127.0.0.1:9000" };
 * const rows = managerTree([fm, top]);
 * assert.deepEqual(rows.map((r) => [r.record.project, r.depth]), [["top", 0], ["fm", 1]]);
 * ```
 */
export function managerTree(
  records: readonly CatalogRecord[],
  options: ManagerTreeOptions = {},
): TreeRow[] {
  const keep = options.keep ?? (() => true);
  const sorted = options.compare ? [...records].sort(options.compare) : [...records];
  const byAddress = new Map<string, CatalogRecord>();
  for (const r of sorted) {
    for (const a of managerAddresses(r, options.resolved)) {
      if (!byAddress.has(a)) byAddress.set(a, r);
    }
  }
  const children = new Map<CatalogRecord, CatalogRecord[]>();
  const roots: CatalogRecord[] = [];
  for (const r of sorted) {
    const up = uplinkOf(r);
    const parent = up === undefined ? undefined : byAddress.get(up);
    if (parent === undefined || parent === r) roots.push(r);
    else children.set(parent, [...children.get(parent) ?? [], r]);
  }
  const out: TreeRow[] = [];
  const seen = new Set<CatalogRecord>();
  // depth -1: not shown (not kept, nor under a kept record) yet.
  const walk = (r: CatalogRecord, depth: number): void => {
    if (seen.has(r)) return;
    seen.add(r);
    const shown = depth >= 0 || keep(r);
    const d = depth >= 0 ? depth : 0;
    if (shown) out.push({ record: r, depth: d });
    for (const c of children.get(r) ?? []) walk(c, shown ? d + 1 : -1);
  };
  for (const r of roots) walk(r, -1);
  // Records only in cycles: each cycle from its first record.
  for (const r of sorted) walk(r, -1);
  return out;
}

/**
 * The text of a project name at a depth, as CCTools' `work_queue_status`
 * prints it: `name`, `>name`, `->name`, `-->name`…
 *
 * @param project The project name.
 * @param depth The depth (0: top).
 * @returns The text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(branch("fm", 0), "fm");
 * assert.equal(branch("fm", 1), ">fm");
 * assert.equal(branch("fm", 3), "-->fm");
 * ```
 */
export function branch(project: string, depth: number): string {
  return depth < 1 ? project : `${"-".repeat(depth - 1)}>${project}`;
}
