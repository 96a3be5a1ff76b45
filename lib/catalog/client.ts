/**
 * Talking to a catalog server (ours or CCTools' `catalog_server`): sending
 * an update (one JSON datagram over UDP, or JSON over TCP to port+1) and
 * querying its records over HTTP (`/query.json`, `/query/<base64 expr>`).
 * No host is ever contacted unless given, or named by CATALOG_HOST.
 *
 * @module
 */

import dgram from "node:dgram";
import { Buffer } from "node:buffer";

/** The catalog port CCTools uses. */
export const DEFAULT_CATALOG_PORT = 9097;

/** One catalog server. */
export interface CatalogAddress {
  host: string;
  port: number;
}

/** A catalog record: a flat JSON object with at least `type`. */
export type CatalogRecord = Record<string, unknown>;

/**
 * Parses `host[:port]`, or a comma-separated list of them.
 *
 * @param text For example `"127.0.0.1:9097"` or `"a:1,b"`.
 * @returns The addresses (port 9097 where none is given).
 * @throws {TypeError} If an entry is empty or its port is not a port number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseCatalogList("127.0.0.1:19097,cat.example"), [
 *   { host: "127.0.0.1", port: 19097 },
 *   { host: "cat.example", port: 9097 },
 * ]);
 * ```
 */
export function parseCatalogList(text: string): CatalogAddress[] {
  return text.split(",").map((entry) => {
    const e = entry.trim();
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(e);
    if (!m) throw new TypeError(`Cannot use catalog '${entry}': expected HOST or HOST:PORT`);
    const port = m[2] === undefined ? DEFAULT_CATALOG_PORT : Number(m[2]);
    if (!(port > 0 && port < 65536)) {
      throw new TypeError(`Cannot use catalog '${entry}': port ${m[2]} is out of range`);
    }
    return { host: m[1].replace(/^\[|\]$/g, ""), port };
  });
}

function envVar(name: string): string | undefined {
  const granted = Deno.permissions.querySync({ name: "env", variable: name }).state === "granted";
  return granted ? Deno.env.get(name) : undefined;
}

/**
 * The catalogs to use: the explicit list if given, else CATALOG_HOST and
 * CATALOG_PORT from the environment, else `localhost:9097`. Never a public
 * catalog.
 *
 * @param explicit A `host:port[,host:port]` list, or undefined.
 * @returns The addresses.
 */
export function resolveCatalogs(explicit?: string): CatalogAddress[] {
  if (explicit) return parseCatalogList(explicit);
  const host = envVar("CATALOG_HOST");
  const port = envVar("CATALOG_PORT");
  if (host) {
    const list = parseCatalogList(host);
    return port ? list.map((a) => ({ ...a, port: Number(port) || a.port })) : list;
  }
  return [{ host: "localhost", port: Number(port) || DEFAULT_CATALOG_PORT }];
}

/**
 * Sends one update to each catalog: a compact JSON datagram over UDP, or,
 * with `tcp`, the JSON written to port+1 of a TCP connection.
 *
 * @param catalogs Where to send.
 * @param record The record.
 * @param options `tcp` to use TCP.
 * @returns The errors, one per catalog that could not be reached (an update is best effort).
 */
export async function sendCatalogUpdate(
  catalogs: CatalogAddress[],
  record: CatalogRecord,
  options: { tcp?: boolean } = {},
): Promise<Error[]> {
  const text = JSON.stringify(record);
  const errors: Error[] = [];
  await Promise.all(catalogs.map(async (c) => {
    try {
      if (options.tcp) await sendTcp(c, text);
      else await sendUdp(c, text);
    } catch (e) {
      errors.push(
        new Error(`Cannot send catalog update to ${c.host}:${c.port}: ${(e as Error).message}`, {
          cause: e,
        }),
      );
    }
  }));
  return errors;
}

function sendUdp(c: CatalogAddress, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const family = c.host.includes(":") ? "udp6" : "udp4";
    const sock = dgram.createSocket(family);
    sock.on("error", (e) => {
      sock.close();
      reject(e);
    });
    sock.send(Buffer.from(text), c.port, c.host, (e) => {
      sock.close();
      if (e) reject(e);
      else resolve();
    });
  });
}

async function sendTcp(c: CatalogAddress, text: string): Promise<void> {
  const conn = await Deno.connect({ hostname: c.host, port: c.port + 1 });
  try {
    const bytes = new TextEncoder().encode(text);
    let off = 0;
    while (off < bytes.length) off += await conn.write(bytes.subarray(off));
  } finally {
    conn.close();
  }
}

/** Options of {@linkcode queryCatalog}. */
export interface QueryOptions {
  /** A JX expression the server filters by (`true` when not given). */
  filter?: string;
  /** Give up after this many ms. Default 5000. */
  timeoutMs?: number;
  /** The largest reply accepted, in bytes. Default 64 MiB. */
  maxBytes?: number;
}

/**
 * Fetches the records of a catalog (`GET /query/<base64 filter>`). CCTools'
 * server and ours both answer a JSON array.
 *
 * @param catalog The server.
 * @param options Filter, timeout, size bound.
 * @returns The records.
 * @throws {Error} If the server cannot be reached, answers an error, or not JSON.
 */
export async function queryCatalog(
  catalog: CatalogAddress,
  options: QueryOptions = {},
): Promise<CatalogRecord[]> {
  const path = `/query/${btoa(options.filter ?? "true")}`;
  const body = await httpGet(
    catalog,
    path,
    options.timeoutMs ?? 5000,
    options.maxBytes ?? 64 << 20,
  );
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (e) {
    throw new SyntaxError(
      `Cannot read catalog ${catalog.host}:${catalog.port}: the reply is not JSON`,
      { cause: e },
    );
  }
  if (!Array.isArray(parsed)) {
    throw new SyntaxError(
      `Cannot read catalog ${catalog.host}:${catalog.port}: the reply is not a JSON array`,
    );
  }
  return parsed.filter((r) => r !== null && typeof r === "object" && !Array.isArray(r));
}

/**
 * A bare HTTP/1.0 GET that tolerates what CCTools' server sends (bare-LF
 * headers, no Content-Length, close at the end).
 *
 * @returns The body.
 */
export async function httpGet(
  c: CatalogAddress,
  path: string,
  timeoutMs: number,
  maxBytes: number,
): Promise<string> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  let conn: Deno.Conn | undefined;
  try {
    conn = await Deno.connect({ hostname: c.host, port: c.port, signal: ac.signal });
    const closeOnAbort = () => conn?.close();
    ac.signal.addEventListener("abort", closeOnAbort);
    await conn.write(
      new TextEncoder().encode(
        `GET ${path} HTTP/1.0\r\nHost: ${c.host}\r\nConnection: close\r\n\r\n`,
      ),
    );
    const chunks: Uint8Array[] = [];
    let total = 0;
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      total += n;
      if (total > maxBytes) {
        throw new RangeError(`Cannot read catalog reply: it is larger than ${maxBytes} bytes`);
      }
      chunks.push(buf.slice(0, n));
    }
    ac.signal.removeEventListener("abort", closeOnAbort);
    const all = new Uint8Array(total);
    let off = 0;
    for (const ch of chunks) {
      all.set(ch, off);
      off += ch.length;
    }
    const text = new TextDecoder().decode(all);
    const m = /\r?\n\r?\n/.exec(text);
    if (!m) {
      throw new SyntaxError(`Cannot read catalog reply from ${c.host}:${c.port}: no header end`);
    }
    const status = /^HTTP\/\d\.\d (\d{3})/.exec(text);
    if (!status || status[1] !== "200") {
      throw new Error(
        `Cannot query catalog ${c.host}:${c.port}${path}: it answered '${text.split(/\r?\n/)[0]}'`,
      );
    }
    return text.slice(m.index + m[0].length);
  } catch (e) {
    if (ac.signal.aborted) {
      throw new Error(
        `Cannot query catalog ${c.host}:${c.port}: no answer within ${timeoutMs} ms`,
        { cause: e },
      );
    }
    throw e;
  } finally {
    clearTimeout(timer);
    try {
      conn?.close();
    } catch {
      // already closed by the timeout
    }
  }
}
