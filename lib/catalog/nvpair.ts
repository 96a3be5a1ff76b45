/**
 * CCTools' legacy "nvpair" text: one `key value` pair per line, records
 * separated by a blank line. Catalogs accept updates in this form and
 * answer `/query.text` in it.
 *
 * @module
 */

import type { CatalogRecord } from "./client.ts";

const KEY = /^[^\s]+$/;

/**
 * Reads the value of one nvpair line the way CCTools does: if the text is a
 * JSON constant (a number, `true`, `false`, `null`, a quoted string, an array
 * or an object) it is that value, otherwise it is the text itself.
 */
function typedValue(text: string): unknown {
  if (!/^[-\d[{"tfn.]/.test(text)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text; // not JSON: plain text, as in CCTools
  }
}

/**
 * Parses one nvpair record (stops at the first blank line after a pair).
 *
 * @param text `key value` lines.
 * @returns The record.
 * @throws {SyntaxError} If there is no pair, or a line is not `key value`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseNvpair } from "./nvpair.ts";
 * const r = parseNvpair("type wq_master\nport 9123\nowner some one\n");
 * assert.deepEqual(r, { type: "wq_master", port: 9123, owner: "some one" });
 * ```
 */
export function parseNvpair(text: string): CatalogRecord {
  const record: CatalogRecord = {};
  let pairs = 0;
  for (const raw of text.split("\n")) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "") {
      if (pairs > 0) break;
      continue;
    }
    const sp = line.indexOf(" ");
    const key = line.slice(0, sp);
    if (sp < 1 || !KEY.test(key)) {
      throw new SyntaxError(
        `Cannot parse nvpair line '${line.slice(0, 80)}': expected 'key value'`,
      );
    }
    record[key] = typedValue(line.slice(sp + 1));
    pairs++;
  }
  if (pairs === 0) throw new SyntaxError("Cannot parse nvpair record: it has no pairs");
  return record;
}

/**
 * Formats one record as nvpair text, as `/query.text` does: strings bare,
 * everything else as compact JSON, then a blank line.
 *
 * @param record The record.
 * @returns `key value` lines and a blank line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatNvpair } from "./nvpair.ts";
 * assert.equal(formatNvpair({ name: "a b", port: 1 }), "name a b\nport 1\n\n");
 * ```
 */
export function formatNvpair(record: CatalogRecord): string {
  let out = "";
  for (const [k, v] of Object.entries(record)) {
    if (v === undefined) continue;
    const text = typeof v === "string" ? v.replace(/[\r\n]+/g, " ") : JSON.stringify(v);
    out += `${k} ${text}\n`;
  }
  return out + "\n";
}
