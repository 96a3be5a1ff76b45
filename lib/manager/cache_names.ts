/**
 * Names of files in a worker's cache. They use only `[A-Za-z0-9._-]`, so
 * that they never need URL encoding (the CCTools worker decodes some fields
 * and not others, spec §4.4).
 *
 * @module
 */

import { createHash } from "node:crypto";

let counter = 0;

/**
 * The md5 of a text, in hex.
 *
 * @param text What to hash.
 * @returns 32 hex digits.
 */
export function md5(text: string | Uint8Array): string {
  return createHash("md5").update(text).digest("hex");
}

/**
 * Replaces every character outside `[A-Za-z0-9._-]` of a base name with `_`.
 *
 * @param path A path; only its last component is used.
 * @returns A safe suffix (at most 64 characters).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(safeBase("/data/my file.txt"), "my_file.txt");
 * ```
 */
export function safeBase(path: string): string {
  const base = path.split("/").filter((p) => p !== "").at(-1) ?? "x";
  return base.replace(/[^A-Za-z0-9._-]/g, "_").slice(-64) || "x";
}

/**
 * A cache name in the shape CCTools uses, `<kind>-<n>-<md5>[-<base>]`.
 * Cached objects get `n = 0` and a hash of what identifies their content,
 * so that a changed file gets a new name (and is sent again) instead of a
 * stale copy being reused. Uncached objects get a fresh `n` each time.
 *
 * @param kind `file`, `dir`, `buffer`, or `url` and `cmd` (inputs made on
 * the worker, named `<kind>-<n>-<md5 of the URL or command>` as CCTools does).
 * @param identity What the hash is taken over.
 * @param options `cached`, and `base` (a path whose base name is appended).
 * @returns The name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const a = cacheName("file", "/d/in.txt|18|1700000000", { cached: true, base: "in.txt" });
 * assert.match(a, /^file-0-[0-9a-f]{32}-in\.txt$/);
 * assert.equal(cacheName("file", "/d/in.txt|18|1700000000", { cached: true, base: "in.txt" }), a);
 * ```
 */
export function cacheName(
  kind: "file" | "dir" | "buffer" | "url" | "cmd",
  identity: string | Uint8Array,
  options: { cached: boolean; base?: string },
): string {
  const n = options.cached ? 0 : ++counter;
  const suffix = options.base === undefined ? "" : "-" + safeBase(options.base);
  return `${kind}-${n}-${md5(identity)}${suffix}`;
}

/**
 * The name under which a worker keeps an output of a task until the
 * manager fetches it: `file-<task>.<index>-<remote, made safe>`.
 *
 * @param taskId The task's id.
 * @param index The output's place in `task.outputs`.
 * @param remote Its name in the sandbox.
 * @returns The name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(outputCacheName(7, 0, "out dir/a.txt"), "file-7.0-out_dir_a.txt");
 * ```
 */
export function outputCacheName(taskId: number, index: number, remote: string): string {
  return `file-${taskId}.${index}-${remote.replace(/[^A-Za-z0-9._-]/g, "_").slice(-64)}`;
}
