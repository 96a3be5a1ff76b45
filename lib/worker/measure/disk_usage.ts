/**
 * The disk a task's sandbox takes: the blocks of every file under it.
 *
 * @module
 */

/**
 * Bytes used on disk by the files under `dir` (their allocated blocks, so
 * a sparse file counts what it holds; a file linked in twice counts once).
 * Directories themselves are not counted. Entries that vanish during the
 * walk are skipped.
 *
 * @param dir The directory (a task's sandbox).
 * @returns The bytes; 0 if `dir` is gone.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/sub`);
 * await Deno.writeFile(`${dir}/sub/f`, new Uint8Array(100_000).fill(1));
 * const used = await diskUsage(dir);
 * assert.ok(used >= 100_000 && used < 200_000, String(used));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function diskUsage(dir: string): Promise<number> {
  let total = 0;
  const seen = new Set<number>();
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(d));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) continue;
      throw e;
    }
    for (const e of entries) {
      const path = `${d}/${e.name}`;
      if (e.isDirectory) {
        stack.push(path);
        continue;
      }
      let info: Deno.FileInfo;
      try {
        info = await Deno.lstat(path);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) continue;
        throw err;
      }
      if (info.nlink !== null && info.nlink > 1 && info.ino !== null) {
        if (seen.has(info.ino)) continue;
        seen.add(info.ino);
      }
      total += info.blocks !== null ? info.blocks * 512 : info.size;
    }
  }
  return total;
}
