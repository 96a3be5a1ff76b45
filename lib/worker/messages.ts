/**
 * The worker's outgoing messages of protocol 9, as text.
 *
 * @module
 */

import { CCTOOLS_VERSION, PROTOCOL_VERSION } from "../wire/protocol.ts";
import type { Resources } from "./resources.ts";
import type { TaskResult } from "./task_runner.ts";

/** Who the worker says it is. */
export interface WorkerIdentity {
  /** Host name sent in the `workqueue` line (no spaces). */
  hostname: string;
  /** Operating system name, e.g. `Linux`. */
  os: string;
  /** Machine architecture, e.g. `x86_64`. */
  arch: string;
  /** `worker-<32 hex>`. */
  workerId: string;
}

/**
 * The `alive` + `resource …` + `info end_of_resource_update` report.
 *
 * @param total The worker's resources.
 * @param tag The id of the last task received.
 * @returns Lines, each ending in LF.
 */
export function resourceReport(total: Resources, tag: number): string {
  const r = (name: string, n: number) => `resource ${name} ${n} ${n} ${n}\n`;
  return "alive\n" +
    r("workers", 1) +
    r("disk", total.disk) +
    r("memory", total.memory) +
    r("gpus", total.gpus) +
    r("cores", total.cores) +
    `resource tag ${tag}\n` +
    "info end_of_resource_update 0\n";
}

/**
 * The handshake a worker sends right after connecting (spec §2.2).
 *
 * @param id Host, OS, architecture and worker id.
 * @param total The worker's resources.
 * @returns Lines, each ending in LF.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const text = handshake(
 *   { hostname: "h", os: "Linux", arch: "x86_64", workerId: "worker-00" },
 *   { cores: 1, memory: 512, disk: 1000, gpus: 0 },
 * );
 * const head = "workqueue 9 h Linux x86_64 8.0.0\ninfo worker-id worker-00\nalive\n";
 * assert.ok(text.startsWith(head), text);
 * assert.ok(text.endsWith("info tasks_running 0\ninfo worker-end-time 0\n"), text);
 * ```
 */
export function handshake(id: WorkerIdentity, total: Resources): string {
  return `workqueue ${PROTOCOL_VERSION} ${id.hostname} ${id.os} ${id.arch} ${CCTOOLS_VERSION}\n` +
    `info worker-id ${id.workerId}\n` +
    resourceReport(total, 0) +
    "info tasks_running 0\n" +
    "info worker-end-time 0\n";
}

/**
 * The header of one entry in a `send_results` reply; `stdoutLength` bytes follow it.
 *
 * @param r The result.
 * @returns `result <status> <exit> <len> <usec> <id>` and LF.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const line = resultHeader({ id: 3, status: 0, exit: 7, stdoutPath: "", stdoutLength: 5, usec: 99 });
 * assert.equal(line, "result 0 7 5 99 3\n");
 * ```
 */
export function resultHeader(r: TaskResult): string {
  return `result ${r.status} ${r.exit} ${r.stdoutLength} ${r.usec} ${r.id}\n`;
}

/**
 * A fresh worker id: `worker-` and 32 random hex digits.
 *
 * @returns The id.
 */
export function newWorkerId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return "worker-" + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * This machine's identity for the handshake.
 *
 * @returns Host name (spaces replaced), OS and architecture as `uname` prints them.
 */
export function localIdentity(): WorkerIdentity {
  let hostname = "localhost";
  try {
    hostname = Deno.hostname().replace(/\s+/g, "_") || hostname;
  } catch {
    // Without --allow-sys the name is not known; "localhost" is what CCTools falls back to.
  }
  const os = Deno.build.os === "linux"
    ? "Linux"
    : Deno.build.os === "darwin"
    ? "Darwin"
    : Deno.build.os;
  return { hostname, os, arch: Deno.build.arch, workerId: newWorkerId() };
}
