/**
 * Asking a Work Queue manager directly for its status (protocol spec §6):
 * connect to the manager's port, send one line (`queue_status`,
 * `worker_status`, `task_status`), read one JSON array until the manager
 * closes. Works with our manager and with CCTools' (C and Python).
 *
 * @module
 */

import type { CatalogAddress, CatalogRecord } from "./client.ts";
import { AUTH_IDENT } from "../wire/auth.ts";
import { writeAll } from "../wire/line_reader.ts";
import { encodeStatusRequest } from "../wire/status_request.ts";
import { type ClientConn, secureClient, type TlsTrust } from "../wire/secure_client.ts";
import { startsLikeTls, TLS_MISMATCH } from "../wire/tls_sniff.ts";

/** The status requests a manager answers. */
export type ManagerStatusRequest =
  | "queue_status"
  | "worker_status"
  | "task_status"
  | "wable_status"
  | "resources_status";

/** Options of {@linkcode queryManager}. */
export interface ManagerQueryOptions {
  /** Give up after this many ms. Default 5000. */
  timeoutMs?: number;
  /** The largest reply accepted, in bytes. Default 64 MiB. */
  maxBytes?: number;
  /** Authenticate first with this password (the manager's password file, whole). */
  password?: Uint8Array;
  /** Speak TLS, trusting these certificates (or Deno's default roots if it is empty). */
  tls?: TlsTrust;
  /** Where a warning goes: the manager's certificate was not verified (`tls.insecure`). */
  warn?: (message: string) => void;
}

/**
 * Sends one status request to a manager and reads its answer.
 *
 * @param manager The manager's address and port.
 * @param request What to ask.
 * @param options Timeout and size bound.
 * @returns The objects of the JSON array the manager answers.
 * @throws {Error} Naming the manager, if it cannot be reached, does not answer in time, or answers something else.
 */
export async function queryManager(
  manager: CatalogAddress,
  request: ManagerStatusRequest,
  options: ManagerQueryOptions = {},
): Promise<CatalogRecord[]> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxBytes = options.maxBytes ?? 64 << 20;
  const where = `${manager.host}:${manager.port}`;
  const ac = new AbortController();
  let conn: ClientConn | undefined;
  const timer = setTimeout(() => {
    ac.abort();
    try {
      conn?.close();
    } catch {
      // closed meanwhile
    }
  }, timeoutMs);
  try {
    const tcp = await Deno.connect({
      hostname: manager.host,
      port: manager.port,
      signal: ac.signal,
    });
    conn = tcp;
    if (options.tls || options.password) {
      conn = await secureClient(tcp, {
        hostname: manager.host,
        tls: options.tls,
        password: options.password,
        warn: options.warn,
        timeoutMs,
        signal: ac.signal,
      });
    }
    await writeAll(conn, new TextEncoder().encode(encodeStatusRequest(request)));
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const buf = new Uint8Array(65_536);
      const n = await conn.read(buf);
      if (n === null) break;
      total += n;
      if (total > maxBytes) throw new RangeError(`the reply is larger than ${maxBytes} bytes`);
      chunks.push(buf.subarray(0, n));
    }
    const all = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      all.set(c, off);
      off += c.length;
    }
    if (startsLikeTls(all)) {
      throw new Error(`${TLS_MISMATCH}; give --ssl, --ssl-ca FILE or --ssl-fingerprint SHA256`);
    }
    const text = new TextDecoder().decode(all).trim();
    if (text.startsWith(AUTH_IDENT)) throw new Error("the manager requires a password");
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new SyntaxError(`the reply to ${request} is not JSON: '${text.slice(0, 60)}'`, {
        cause: e,
      });
    }
    if (!Array.isArray(parsed)) {
      throw new SyntaxError(`the reply to ${request} is not a JSON array`);
    }
    return parsed.filter((r) => r !== null && typeof r === "object" && !Array.isArray(r));
  } catch (e) {
    const why = ac.signal.aborted ? `no answer within ${timeoutMs} ms` : (e as Error).message;
    throw new Error(`Cannot query manager ${where}: ${why}`, { cause: e });
  } finally {
    clearTimeout(timer);
    try {
      conn?.close();
    } catch {
      // already closed by the timeout
    }
  }
}
