/**
 * Creating symbolic links under narrow permissions. `Deno.symlink` needs
 * unrestricted read and write permission (a link may point anywhere), which
 * the compiled worker does not have: it may write only under its workspace.
 * There the link is made with `ln -s` (the worker may run processes), which
 * creates the link without following its target, exactly like the syscall.
 *
 * @module
 */

function unrestricted(name: "read" | "write"): boolean {
  return Deno.permissions.querySync({ name }).state === "granted";
}

/**
 * Makes `path` a symbolic link to `target`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { symlink } from "./symlink.ts";
 * const d = await Deno.makeTempDir();
 * await symlink("/etc/hostname", `${d}/l`);
 * assert.equal(await Deno.readLink(`${d}/l`), "/etc/hostname");
 * await Deno.remove(d, { recursive: true });
 * ```
 * @param target What the link points to (not checked, not followed).
 * @param path The link to create.
 * @throws {Deno.errors.AlreadyExists} If `path` exists.
 */
export async function symlink(target: string, path: string): Promise<void> {
  if (unrestricted("read") && unrestricted("write")) return await Deno.symlink(target, path);
  const out = await new Deno.Command("ln", {
    args: ["-s", "--", target, path],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (out.success) return;
  const err = new TextDecoder().decode(out.stderr).trim();
  if (/File exists/.test(err)) {
    throw new Deno.errors.AlreadyExists(`Cannot create symlink '${path}': it exists`);
  }
  throw new Error(`Cannot create symlink '${path}': ln exited with ${out.code}: ${err}`);
}
