/**
 * `wq-status`: lists the managers a catalog knows, or asks one manager for
 * its queue, workers or tasks. Reads our catalog and CCTools'
 * `catalog_server`, and our managers and CCTools'.
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { parseArgs } from "node:util";
import {
  type CatalogAddress,
  type CatalogRecord,
  queryCatalog,
  resolveCatalogs,
} from "./client.ts";
import { type ManagerStatusRequest, queryManager } from "./manager_query.ts";
import { readPasswordFile, readTlsTrust } from "../wire/secure_client.ts";
import {
  CATEGORY_COLUMNS,
  formatTable,
  MANAGER_COLUMNS,
  TASK_COLUMNS,
  WORKER_COLUMNS,
} from "./status_table.ts";
import { branch, managerTree, uplinkOf } from "./status_tree.ts";

/** The help text of `wq-status`. */
export const STATUS_USAGE =
  `Usage: wq-status [options]              list the managers a catalog knows
       wq-status [options] HOST PORT    ask one manager (also HOST:PORT)

Options:
  -C, --catalog HOST:PORT   catalog to ask (a comma-separated list is tried in
                            order; default CATALOG_HOST and CATALOG_PORT,
                            else localhost:9097)
  -M, --project REGEX       only managers whose project matches REGEX in full
  -W, --workers             with HOST PORT: list the manager's workers
  -T, --tasks               with HOST PORT: list the manager's tasks
  -A, --able-workers        with HOST PORT: list the manager's task categories,
                            with the resources measured and allocated
      --json                print the records as JSON instead of a table
  -P, --password FILE       with HOST PORT: authenticate with the password in
                            FILE (the whole file), for a manager that has one
      --ssl                 with HOST PORT: speak TLS to the manager, trusting
                            Deno's root certificates
      --ssl-ca FILE         trust the PEM certificates in FILE for the manager:
                            each exactly, and as a CA (implies --ssl)
      --ssl-fingerprint SHA256
                            trust exactly the certificate with this SHA-256
                            fingerprint, whatever its CA flag and names (may
                            repeat; implies --ssl)
      --ssl-insecure        verify nothing about the manager's certificate
                            (warned; implies --ssl)
  -t, --timeout SECONDS     give up on a catalog or manager after this long
                            (default 5)
  -h, --help                show this help

Exit status: 0 on success, 1 for bad options or when the catalog or the
manager cannot be reached.
`;

/** Where `wq-status` prints. */
export interface StatusIo {
  /** Normal output. */
  out: (text: string) => void;
  /** Error messages. */
  err: (text: string) => void;
}

const MANAGER_FILTER = 'type=="wq_master" or type=="wq_manager"';

function isManager(r: CatalogRecord): boolean {
  return r.type === "wq_master" || r.type === "wq_manager";
}

function parseManagerAddress(pos: string[]): CatalogAddress {
  let host: string, portText: string | undefined;
  if (pos.length === 1) {
    const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(pos[0]);
    if (!m) throw new TypeError(`Cannot use manager '${pos[0]}': expected HOST PORT or HOST:PORT`);
    [host, portText] = [m[1].replace(/^\[|\]$/g, ""), m[2]];
  } else if (pos.length === 2) {
    [host, portText] = pos;
  } else {
    throw new TypeError(
      `Cannot use arguments '${pos.join(" ")}': expected nothing, HOST PORT or HOST:PORT`,
    );
  }
  const port = Number(portText);
  if (!(Number.isInteger(port) && port > 0 && port < 65536)) {
    throw new TypeError(`Cannot use manager port '${portText}': expected 1 to 65535`);
  }
  return { host, port };
}

/**
 * The addresses the managers' host names resolve to (through the system's
 * resolver, /etc/hosts included), when some record names a manager in
 * `my_manager`. A name that does not resolve within the time matches only
 * as written.
 */
async function resolveNames(
  managers: CatalogRecord[],
  timeoutMs: number,
): Promise<Map<string, string[]>> {
  const resolved = new Map<string, string[]>();
  if (!managers.some((r) => uplinkOf(r) !== undefined)) return resolved;
  const names = new Set(
    managers.map((r) => r.name).filter((n): n is string =>
      typeof n === "string" && n !== "" && isIP(n) === 0
    ),
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((r) => timer = setTimeout(() => r(null), timeoutMs));
  await Promise.all([...names].map(async (name) => {
    const found = await Promise.race([lookup(name, { all: true }).catch(() => null), late]);
    if (found) resolved.set(name, found.map((a) => a.address));
  }));
  clearTimeout(timer);
  return resolved;
}

function bySortKey(a: CatalogRecord, b: CatalogRecord): number {
  const k = (r: CatalogRecord) =>
    [String(r.project ?? ""), String(r.name ?? ""), Number(r.port ?? 0)] as const;
  const [pa, na, oa] = k(a), [pb, nb, ob] = k(b);
  return pa < pb ? -1 : pa > pb ? 1 : na < nb ? -1 : na > nb ? 1 : oa - ob;
}

/**
 * Runs `wq-status` with the given arguments.
 *
 * @param args The arguments (Deno.args).
 * @param io Where to print.
 * @returns The exit status: 0 on success, 1 on any error.
 */
export async function runStatus(args: string[], io: StatusIo): Promise<number> {
  let values, positionals;
  try {
    ({ values, positionals } = parseArgs({
      args,
      options: {
        catalog: { type: "string", short: "C" },
        project: { type: "string", short: "M" },
        workers: { type: "boolean", short: "W" },
        tasks: { type: "boolean", short: "T" },
        "able-workers": { type: "boolean", short: "A" },
        json: { type: "boolean" },
        password: { type: "string", short: "P" },
        ssl: { type: "boolean" },
        "ssl-ca": { type: "string" },
        "ssl-fingerprint": { type: "string", multiple: true },
        "ssl-insecure": { type: "boolean" },
        timeout: { type: "string", short: "t" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (e) {
    io.err(`wq-status: ${(e as Error).message} (see --help)\n`);
    return 1;
  }
  if (values.help) {
    io.out(STATUS_USAGE);
    return 0;
  }
  try {
    const timeoutMs = values.timeout === undefined ? 5000 : Number(values.timeout) * 1000;
    if (!(timeoutMs > 0)) {
      throw new TypeError(`Cannot use --timeout '${values.timeout}': expected seconds`);
    }
    let project: RegExp | undefined;
    if (values.project !== undefined) {
      try {
        project = new RegExp(`^(?:${values.project})$`);
      } catch (e) {
        throw new TypeError(`Cannot use --project '${values.project}': ${(e as Error).message}`, {
          cause: e,
        });
      }
    }
    if (positionals.length > 0) {
      const manager = parseManagerAddress(positionals);
      if ([values.workers, values.tasks, values["able-workers"]].filter(Boolean).length > 1) {
        throw new TypeError("Cannot use more than one of -W, -T and -A: choose one");
      }
      const request: ManagerStatusRequest = values.workers
        ? "worker_status"
        : values.tasks
        ? "task_status"
        : values["able-workers"]
        ? "wable_status"
        : "queue_status";
      const password = values.password === undefined
        ? undefined
        : readPasswordFile(values.password, "--password");
      const tls = await readTlsTrust({
        ssl: values.ssl,
        sslCa: values["ssl-ca"],
        sslFingerprint: values["ssl-fingerprint"],
        sslInsecure: values["ssl-insecure"],
      });
      const warn = (m: string) => io.err(`wq-status: warning: ${m}\n`);
      let records: CatalogRecord[];
      try {
        records = await queryManager(manager, request, { timeoutMs, password, tls, warn });
      } catch (e) {
        const needs = /the manager requires a password$/.test((e as Error).message);
        if (!needs) throw e;
        throw new Error(`${(e as Error).message} (give it with --password FILE)`, { cause: e });
      }
      if (request === "queue_status") {
        records = records.map((r) => ({ name: manager.host, ...r }));
        if (project) records = records.filter((r) => project.test(String(r.project ?? "")));
      }
      if (values.json) {
        io.out(JSON.stringify(records, null, 2) + "\n");
      } else {
        const columns = request === "worker_status"
          ? WORKER_COLUMNS
          : request === "task_status"
          ? TASK_COLUMNS
          : request === "wable_status"
          ? CATEGORY_COLUMNS
          : MANAGER_COLUMNS;
        io.out(formatTable(columns, records));
      }
      return 0;
    }
    if (values.workers || values.tasks || values["able-workers"]) {
      throw new TypeError("Cannot use -W, -T or -A without HOST PORT: they ask one manager");
    }
    const ssl = values.ssl || values["ssl-ca"] !== undefined ||
      values["ssl-fingerprint"] !== undefined || values["ssl-insecure"];
    if (values.password !== undefined || ssl) {
      throw new TypeError(
        "Cannot use --password or the --ssl options without HOST PORT: they are for one manager",
      );
    }
    const catalogs = resolveCatalogs(values.catalog);
    const errors: string[] = [];
    let records: CatalogRecord[] | undefined;
    for (const c of catalogs) {
      try {
        records = await queryCatalog(c, { filter: MANAGER_FILTER, timeoutMs });
        break;
      } catch (e) {
        errors.push((e as Error).message);
      }
    }
    if (!records) {
      const names = catalogs.map((c) => `${c.host}:${c.port}`).join(", ");
      throw new Error(`Cannot query catalog ${names}: ${errors.join("; ")}`);
    }
    // Foremen under their managers (status_tree.ts); -M keeps a manager and its foremen.
    const managers = records.filter(isManager);
    const rows = managerTree(managers, {
      resolved: await resolveNames(managers, timeoutMs),
      keep: project && ((r) => project.test(String(r.project ?? ""))),
      compare: bySortKey,
    });
    io.out(
      values.json ? JSON.stringify(rows.map((r) => r.record), null, 2) + "\n" : formatTable(
        MANAGER_COLUMNS,
        rows.map(({ record, depth }) =>
          depth === 0
            ? record
            : { ...record, project: branch(String(record.project ?? "-"), depth) }
        ),
      ),
    );
    return 0;
  } catch (e) {
    io.err(`wq-status: ${(e as Error).message}\n`);
    return 1;
  }
}
