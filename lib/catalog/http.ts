/**
 * The small piece of HTTP/1.x the catalog speaks, in the form CCTools'
 * `catalog_server` uses: read one `GET` request head (bounded in size),
 * answer with bare-LF header lines, `Connection: close`, no Content-Length,
 * and close.
 *
 * @module
 */

import type { ByteSource } from "../wire/line_reader.ts";

/** One request line. */
export interface RequestLine {
  /** `GET`, `HEAD`, … */
  method: string;
  /** The path, with `http://host` removed when the client sent an absolute URI. */
  path: string;
}

/**
 * Parses `GET /path HTTP/1.1`, `GET http://host:port/path HTTP/1.0` or the
 * bare `GET /path` of HTTP/0.9.
 *
 * @param line The first line of the request, without its line end.
 * @returns Method and path.
 * @throws {SyntaxError} If it is not a request line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseRequestLine } from "./http.ts";
 * assert.equal(parseRequestLine("GET http://h:9097/query.json HTTP/1.1").path, "/query.json");
 * ```
 */
export function parseRequestLine(line: string): RequestLine {
  const m = /^([A-Z]+) +(\S+)(?: +HTTP\/\d\.\d)? *$/.exec(line);
  if (!m) throw new SyntaxError(`Cannot parse request line '${line.slice(0, 100)}'`);
  let path = m[2];
  const abs = /^https?:\/\/[^/]*(\/.*)?$/i.exec(path);
  if (abs) path = abs[1] ?? "/";
  if (!path.startsWith("/")) {
    throw new SyntaxError(`Cannot parse request target '${path.slice(0, 100)}'`);
  }
  return { method: m[1], path };
}

/**
 * Reads a request head (request line and headers, which are ignored) from a
 * connection, up to `maxBytes`. An HTTP/0.9 request is its first line alone.
 *
 * @param conn The connection.
 * @param maxBytes The largest head accepted.
 * @returns The request line, parsed.
 * @throws {RangeError} If the head is longer than `maxBytes`.
 * @throws {SyntaxError} If the connection ends first or the line is not a request.
 */
export async function readRequest(conn: ByteSource, maxBytes: number): Promise<RequestLine> {
  const buf = new Uint8Array(maxBytes);
  const latin1 = new TextDecoder("latin1");
  let n = 0;
  for (;;) {
    if (n === buf.length) {
      throw new RangeError(`Cannot read request: its head is over ${maxBytes} bytes`);
    }
    const got = await conn.read(buf.subarray(n));
    if (got === null) {
      throw new SyntaxError("Cannot read request: the client closed the connection");
    }
    n += got;
    const text = latin1.decode(buf.subarray(0, n));
    const lf = text.indexOf("\n");
    if (lf < 0) continue;
    const line = text.slice(0, lf).replace(/\r$/, "");
    if (!/ HTTP\/\d\.\d$/.test(line) || /\n\r?\n/.test(text)) return parseRequestLine(line);
  }
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * A date in the form CCTools' server prints (C `ctime`, UTC): `Tue Nov 24 14:42:30 2026`.
 *
 * @param date The date.
 * @returns The text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ctimeDate } from "./http.ts";
 * const date = new Date(Date.UTC(2026, 10, 24, 14, 42, 30));
 * assert.equal(ctimeDate(date), "Tue Nov 24 14:42:30 2026");
 * assert.equal(ctimeDate(new Date(Date.UTC(2026, 11, 7, 7, 3))), "Mon Dec  7 07:03:00 2026");
 * ```
 */
export function ctimeDate(date: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const day = String(date.getUTCDate()).padStart(2, " ");
  return `${DAYS[date.getUTCDay()]} ${MONTHS[date.getUTCMonth()]} ${day} ` +
    `${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${
      p(date.getUTCSeconds())
    } ${date.getUTCFullYear()}`;
}

/** Options of {@linkcode responseHead}. */
export interface ResponseHeadOptions {
  /** Content-type. Default `text/plain`, as CCTools sends for JSON too. */
  contentType?: string;
  /** More header lines, each without its line end. */
  extra?: string[];
  /** The time for the Date header. */
  now?: Date;
}

/**
 * The head of a reply, with bare-LF line ends as CCTools' server sends:
 * status, Date, Server, `Connection: close`, `Access-Control-Allow-Origin: *`,
 * Content-type, a blank line.
 *
 * @param status For example `200 OK` or `400 Bad Request`.
 * @param options Content type, extra headers, time.
 * @returns The head.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { responseHead } from "./http.ts";
 * const head = responseHead("200 OK");
 * assert.match(head, /^HTTP\/1\.1 200 OK\n/);
 * assert.match(head, /\nContent-type: text\/plain\n\n$/);
 * ```
 */
export function responseHead(status: string, options: ResponseHeadOptions = {}): string {
  return [
    `HTTP/1.1 ${status}`,
    `Date: ${ctimeDate(options.now ?? new Date())}`,
    "Server: wq-catalog",
    "Connection: close",
    "Access-Control-Allow-Origin: *",
    `Content-type: ${options.contentType ?? "text/plain"}`,
    ...(options.extra ?? []),
    "",
    "",
  ].join("\n");
}
