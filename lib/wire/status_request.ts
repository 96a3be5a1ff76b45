/**
 * Status queries on the manager's port (spec §6): a client sends one line,
 * a request name or an HTTP `GET /<name> HTTP/1.x`, and the manager answers
 * with one JSON array and closes the connection.
 *
 * @module
 */

/** The request names a manager answers. */
export const STATUS_REQUESTS = [
  "queue_status",
  "worker_status",
  "task_status",
  "wable_status",
  "resources_status",
] as const;

/** One of {@linkcode STATUS_REQUESTS}. */
export type StatusRequestName = typeof STATUS_REQUESTS[number];

/** A status query, parsed. */
export interface StatusRequest {
  /** Whether it came as HTTP (the reply then carries HTTP headers). */
  http: boolean;
  /**
   * What is asked: a request name, or for HTTP the path without its
   * leading slashes (`""` for `/`). It may be none of the known names.
   */
  what: string;
}

const NAMES: ReadonlySet<string> = new Set(STATUS_REQUESTS);

/**
 * The line a status client sends.
 *
 * @param name The request.
 * @returns The line, with its LF.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(encodeStatusRequest("queue_status"), "queue_status\n");
 * ```
 */
export function encodeStatusRequest(name: StatusRequestName): string {
  return `${name}\n`;
}

/**
 * Parses the first line of a connection if it is a status query: its first
 * word is a request name, or it is an HTTP `GET` (whose path loses its
 * leading slashes and any `?query`: `GET /metrics` asks for `metrics`).
 *
 * @param line The line, without its LF.
 * @returns The query, or `undefined` if the line is not one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseStatusRequest("GET /worker_status HTTP/1.1"), {
 *   http: true,
 *   what: "worker_status",
 * });
 * assert.deepEqual(parseStatusRequest("GET /metrics?x=1 HTTP/1.1"), { http: true, what: "metrics" });
 * assert.deepEqual(parseStatusRequest("queue_status"), { http: false, what: "queue_status" });
 * assert.equal(parseStatusRequest("workqueue 9 h Linux x86_64 8.0.0"), undefined);
 * ```
 */
export function parseStatusRequest(line: string): StatusRequest | undefined {
  if (line.startsWith("GET ")) {
    const path = (line.split(" ")[1] ?? "/").replace(/^\/+/, "");
    const query = path.indexOf("?");
    return { http: true, what: query < 0 ? path : path.slice(0, query) };
  }
  const sp = line.indexOf(" ");
  if (NAMES.has(sp < 0 ? line : line.slice(0, sp))) return { http: false, what: line.trim() };
  return undefined;
}
