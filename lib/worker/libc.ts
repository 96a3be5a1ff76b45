/**
 * Opening glibc through FFI, for the worker's few direct system calls
 * (`libc_spawn.ts`, `measure/proc_fs.ts`): only on Linux x86_64 or
 * aarch64, and only when the FFI permission is already granted (asking
 * would prompt on a terminal). Each caller has a fallback for `undefined`.
 *
 * @module
 */

/**
 * glibc with the given symbols, or `undefined` where they cannot be had.
 * The worker keeps it open for its lifetime.
 *
 * @param symbols The symbols to bind, as `Deno.dlopen` takes them.
 * @returns The library; `undefined` on another system, without the
 * permission, or when a symbol is missing (musl, an old glibc).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const libc = openLibc({ getpid: { parameters: [], result: "i32" } });
 * if (libc) assert.equal(libc.symbols.getpid(), Deno.pid);
 * libc?.close();
 * ```
 */
export function openLibc<S extends Deno.ForeignLibraryInterface>(
  symbols: S,
): Deno.DynamicLibrary<S> | undefined {
  if (Deno.build.os !== "linux" || !["x86_64", "aarch64"].includes(Deno.build.arch)) return;
  if (Deno.permissions.querySync({ name: "ffi" }).state !== "granted") return;
  try {
    return Deno.dlopen("libc.so.6", symbols);
  } catch {
    return undefined;
  }
}
