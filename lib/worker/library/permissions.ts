/**
 * The Deno flags of a library process: it reads and writes its own sandbox
 * and nothing else, unless its permissions say more.
 *
 * @module
 */

import type { LibraryPermissions } from "../../wire/function_call.ts";

/**
 * The flags for `deno run`, before the script.
 *
 * @param p The library's permissions (checked: `checkPermissions()`).
 * @param dir The library's sandbox.
 * @returns The flags: never a prompt, no configuration file or lock file,
 * `--allow-read` and `--allow-write` of the sandbox (and what `p` adds), and
 * one `--allow-<name>` per other permission granted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(denoFlags({}, "/w/lib"), [
 *   "--no-prompt", "--no-config", "--no-lock", "--allow-read=/w/lib", "--allow-write=/w/lib",
 * ]);
 * assert.deepEqual(denoFlags({ read: true, net: ["127.0.0.1:80"] }, "/w/lib").slice(3), [
 *   "--allow-read", "--allow-write=/w/lib", "--allow-net=127.0.0.1:80",
 * ]);
 * ```
 */
export function denoFlags(p: LibraryPermissions, dir: string): string[] {
  const flags = ["--no-prompt", "--no-config", "--no-lock"];
  for (const name of ["read", "write"] as const) {
    const v = p[name];
    flags.push(v === true ? `--allow-${name}` : `--allow-${name}=${[dir, ...(v || [])].join(",")}`);
  }
  for (const name of ["net", "env", "run", "sys"] as const) {
    const v = p[name];
    if (v === undefined || v === false) continue;
    flags.push(v === true ? `--allow-${name}` : `--allow-${name}=${v.join(",")}`);
  }
  return flags;
}
