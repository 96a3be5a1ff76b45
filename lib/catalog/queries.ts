/**
 * What the catalog server answers each HTTP query with: the dashboard at
 * `/`, the records at `/query.json` and `/query.text`, the records a JX
 * filter keeps at `/query/<base64 filter>`, and its counters at
 * `/stats.json`. `server.ts` reads the request and writes the reply.
 *
 * @module
 */

import { DASHBOARD_CSP } from "./dashboard.ts";
import type { RequestLine } from "./http.ts";
import { type JxExpr, parseJx } from "./jx.ts";
import { formatNvpair } from "./nvpair.ts";
import type { RecordTable } from "./records.ts";

/** A reply before encoding. */
export interface Reply {
  /** The status line's code and reason, `200 OK`. */
  status: string;
  /** The body (left out for `HEAD`). */
  body: string;
  /** Its `Content-Type`, if not JSON. */
  contentType?: string;
  /** More header lines. */
  extra?: string[];
}

/** What {@linkcode answerQuery} reads and counts. */
export interface QueryContext {
  /** The records. */
  table: RecordTable;
  /** The server's query counters, counted here. */
  counters: { queries: number; queries_bad: number };
  /** The dashboard page. */
  dashboard: string;
  /** The server's counters now, for `/stats.json`. */
  stats(): unknown;
}

/**
 * Answers one query (`GET` or `HEAD`), counting it, and a bad one.
 *
 * @param req The request line.
 * @param ctx The records, the counters, the dashboard.
 * @returns The reply.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { RecordTable } from "./records.ts";
 * const counters = { queries: 0, queries_bad: 0 };
 * const table = new RecordTable({ lifetimeSeconds: 900, maxRecords: 10 });
 * const ctx = { table, counters, dashboard: "<html>", stats: () => ({}) };
 * assert.equal(answerQuery({ method: "GET", path: "/query.json" }, ctx).body, "[\n\n]\n");
 * assert.equal(answerQuery({ method: "GET", path: "/query/%%%" }, ctx).status, "400 Bad Request");
 * assert.deepEqual(counters, { queries: 2, queries_bad: 1 });
 * ```
 */
export function answerQuery(req: RequestLine, ctx: QueryContext): Reply {
  ctx.counters.queries++;
  if (req.method !== "GET" && req.method !== "HEAD") {
    ctx.counters.queries_bad++;
    return { status: "405 Method Not Allowed", body: `${req.method} is not supported\n` };
  }
  const path = req.path.replace(/[?#].*$/, "");
  const now = Date.now();
  switch (path) {
    case "/":
    case "/index.html":
      return {
        status: "200 OK",
        body: ctx.dashboard,
        contentType: "text/html; charset=utf-8",
        extra: [`Content-Security-Policy: ${DASHBOARD_CSP}`, "Cache-Control: no-store"],
      };
    case "/query.json":
      return { status: "200 OK", body: jsonList(ctx.table.list(now).map((r) => r.json)) };
    case "/query.text":
      return {
        status: "200 OK",
        body: ctx.table.list(now).map((r) => formatNvpair(r.record)).join(""),
      };
    case "/stats.json":
      return { status: "200 OK", body: JSON.stringify(ctx.stats()) + "\n" };
  }
  if (path.startsWith("/query/")) {
    let filter: JxExpr;
    try {
      filter = parseJx(decodeFilter(path.slice("/query/".length)));
    } catch (e) {
      ctx.counters.queries_bad++;
      return { status: "400 Bad Request", body: `Cannot use filter: ${(e as Error).message}\n` };
    }
    return { status: "200 OK", body: jsonList(ctx.table.list(now, filter).map((r) => r.json)) };
  }
  return { status: "404 Not Found", body: `${path.slice(0, 200)} is not here\n` };
}

/** A filter from a `/query/` path: base64 (standard or URL-safe), maybe percent-encoded. */
function decodeFilter(b64: string): string {
  let text = b64;
  try {
    text = decodeURIComponent(b64);
  } catch {
    // not percent-encoded: use as is
  }
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/").replace(/\s+/g, ""));
  return new TextDecoder("utf-8", { fatal: true }).decode(
    Uint8Array.from(bin, (c) => c.charCodeAt(0)),
  );
}

function jsonList(items: string[]): string {
  return `[\n${items.join(",\n")}\n]\n`;
}
