/**
 * Who the worker says it is in its handshake: host name, OS, architecture
 * and a fresh worker id. The handshake's text is `lib/wire/worker_messages.ts`'s.
 *
 * @module
 */

import type { WorkerIdentity } from "../wire/worker_messages.ts";

/**
 * A fresh worker id: `worker-` and 32 random hex digits.
 *
 * @returns The id.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.match(newWorkerId(), /^worker-[0-9a-f]{32}$/);
 * ```
 */
export function newWorkerId(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return "worker-" + Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/**
 * This machine's identity for the handshake.
 *
 * @returns Host name (spaces replaced), OS and architecture as `uname` prints them.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.doesNotMatch(localIdentity().hostname, /\s/);
 * ```
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
