/**
 * The reply to `get <name> <recursive>`: a stream of `file`, `dir` and
 * `missing` entries for a cache entry, closed by `end` (their grammar is
 * `lib/wire/files.ts`'s). File bodies are streamed from disk by the
 * connection's writer.
 *
 * @module
 */

import { encodeGetReplyEntry } from "../wire/files.ts";
import type { FrameWriter } from "../wire/frame_writer.ts";
import type { Workspace } from "./workspace.ts";
import { errorMessage } from "../errors.ts";

/** How deep a reply may descend (also stops symlink loops). */
export const MAX_GET_DEPTH = 64;

/** Options for {@linkcode sendCacheEntry}. */
export interface SendOptions {
  /** Descend into directories (`get … 1`). */
  recursive: boolean;
  /** Debug log. */
  log?: (message: string) => void;
}

/**
 * The errno a failed file-system call stands for, as the C worker reports it.
 *
 * @param e The error.
 * @returns 2 for not found, 13 for permission denied, 20 for not a directory, else 5.
 */
export function errnoOf(e: unknown): number {
  if (e instanceof Deno.errors.NotFound) return 2;
  if (e instanceof Deno.errors.PermissionDenied) return 13;
  if (e instanceof Deno.errors.NotADirectory) return 20;
  return 5;
}

/**
 * Whether `path` is `dir` or inside it (both absolute and normalized).
 *
 * @param path The path.
 * @param dir The directory.
 * @returns `true` if `path` is within `dir`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(isWithin("/w/cache/a", "/w"), true);
 * assert.equal(isWithin("/wx/a", "/w"), false);
 * ```
 */
export function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith("/") ? dir : dir + "/");
}

/**
 * Queues the reply to `get`: the entries for `cache/<name>`, then `end`.
 * Symbolic links are followed only when they resolve inside the workspace;
 * others are reported `missing`.
 *
 * @param writer The connection's writer.
 * @param ws The workspace.
 * @param name The decoded cache name (already checked to be one component).
 * @param options Recursion and logging.
 */
export async function sendCacheEntry(
  writer: FrameWriter,
  ws: Workspace,
  name: string,
  options: SendOptions,
): Promise<void> {
  const root = await Deno.realPath(ws.root);
  await sendItem(writer, ws.cachePath(name), name, 0, { ...options, root });
  writer.send(encodeGetReplyEntry({ kind: "end" }));
}

interface WalkContext extends SendOptions {
  root: string;
}

async function sendItem(
  writer: FrameWriter,
  path: string,
  label: string,
  depth: number,
  ctx: WalkContext,
): Promise<void> {
  const missing = (errno: number, why: string) => {
    ctx.log?.(`get: '${label}' is missing: ${why}`);
    writer.send(encodeGetReplyEntry({ kind: "missing", path: label, errno }));
  };
  let real: string;
  let st: Deno.FileInfo;
  try {
    real = await Deno.realPath(path);
    st = await Deno.stat(real);
  } catch (e) {
    if (e instanceof Deno.errors.NotCapable) {
      // Narrow read permission (the compiled worker): the path resolves
      // outside what the worker may read, hence outside the workspace.
      return missing(2, `it resolves outside the workspace: ${e.message}`);
    }
    return missing(errnoOf(e), errorMessage(e));
  }
  if (!isWithin(real, ctx.root)) {
    return missing(2, `it resolves outside the workspace, to '${real}'`);
  }

  if (st.isDirectory) {
    writer.send(encodeGetReplyEntry({ kind: "dir", path: label }));
    if (!ctx.recursive) return;
    if (depth >= MAX_GET_DEPTH) return missing(40, `it nests deeper than ${MAX_GET_DEPTH} levels`);
    const names: string[] = [];
    try {
      for await (const e of Deno.readDir(real)) names.push(e.name);
    } catch (e) {
      ctx.log?.(`get: cannot list '${label}': ${errorMessage(e)}`);
      return;
    }
    names.sort();
    for (const n of names) {
      if (/[\n\r]/.test(n)) {
        ctx.log?.(`get: skipping an entry of '${label}' whose name has a line break`);
        continue;
      }
      await sendItem(writer, `${real}/${n}`, `${label}/${n}`, depth + 1, ctx);
    }
  } else if (st.isFile) {
    try {
      // Fail here, as `missing`, rather than in the writer, which would drop the connection.
      (await Deno.open(real, { read: true })).close();
    } catch (e) {
      return missing(errnoOf(e), errorMessage(e));
    }
    writer.send(encodeGetReplyEntry({ kind: "file", path: label, length: st.size }));
    writer.sendFile(real, st.size);
  } else {
    missing(22, "it is neither a file nor a directory");
  }
}
