/**
 * One entry of a worker's reply to `get <name> 1` (spec §4.3), parsed
 * (grammar: `lib/wire/files.ts`) and checked: the path must be the requested name or lie under it, and what is
 * below it must stay inside (no `..`, no absolute path, no NUL, no empty
 * component at the end). A worker is not trusted: an unsafe entry is
 * refused, not written.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import { parseGetReplyEntry } from "../wire/files.ts";
import { clip, remoteNameProblem } from "../wire/protocol.ts";

/** The longest symbolic-link body skipped when a worker sends one. */
export const MAX_SYMLINK_ENTRY = 4096;

/** What a reply line asks the manager to do. `rel` is `""` for the output itself. */
export type OutputEntry =
  /** A regular file of `size` bytes, whose body follows the line. */
  | { kind: "file"; rel: string; size: number }
  /** A directory. */
  | { kind: "dir"; rel: string }
  /** The worker could not read it (`errno` 2: it does not exist). */
  | { kind: "missing"; rel: string; errno: number }
  /**
   * An entry the manager will not write, and why. `skip` body bytes follow
   * the line and must be read and dropped to stay in step.
   */
  | { kind: "refused"; reason: string; skip: number }
  /** The end of the reply. */
  | { kind: "end" };

/**
 * Parses one line of a `get` reply (grammar: `lib/wire/files.ts`) for the
 * output asked for as `requested`, and decides whether to write it.
 *
 * Symbolic links are always refused: protocol 9 workers follow links and
 * send what they point to, and a link on the manager's side could make a
 * later entry write outside the output.
 *
 * @param line The line, without its LF.
 * @param requested The cache name in the `get` request.
 * @returns The entry.
 * @throws {ProtocolError} If the line is not an entry, or a length is
 * negative or too large, so that the stream cannot be followed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const ok = parseOutputEntry("file out-1/sub/a.txt 2", "out-1");
 * assert.deepEqual(ok, { kind: "file", rel: "sub/a.txt", size: 2 });
 * const bad = parseOutputEntry("file out-1/../../etc/passwd 5", "out-1");
 * assert.equal(bad.kind, "refused");
 * assert.equal(bad.kind === "refused" && bad.skip, 5); // its 5 bytes are read past
 * ```
 */
export function parseOutputEntry(line: string, requested: string): OutputEntry {
  const e = parseGetReplyEntry(line);
  if (e.kind === "end") return e;
  const skip = e.kind === "file" || e.kind === "symlink" ? e.length : 0;
  if (e.kind === "symlink") {
    if (e.length > MAX_SYMLINK_ENTRY) {
      throw new ProtocolError(
        `Cannot read symlink entry '${
          clip(line)
        }': its target is longer than ${MAX_SYMLINK_ENTRY} bytes`,
      );
    }
    return {
      kind: "refused",
      reason: `entry '${clip(e.path)}' is a symbolic link, which the manager does not create`,
      skip,
    };
  }
  const rel = relativeEntryPath(e.path, requested);
  if (typeof rel !== "string") return { kind: "refused", reason: rel.refused, skip };
  if (e.kind === "file") return { kind: "file", rel, size: e.length };
  if (e.kind === "dir") return { kind: "dir", rel };
  return { kind: "missing", rel, errno: e.errno };
}

/**
 * The part of an entry's path below the requested output, or why it is
 * refused.
 *
 * @param path The path in the reply.
 * @param requested The cache name in the `get` request.
 * @returns `""` for the output itself, a safe relative path, or `{ refused }`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(relativeEntryPath("o/a", "o"), "a");
 * assert.deepEqual(relativeEntryPath("/etc/passwd", "o"), {
 *   refused: "entry '/etc/passwd' is not inside 'o'",
 * });
 * ```
 */
export function relativeEntryPath(path: string, requested: string): string | { refused: string } {
  if (path === requested) return "";
  if (!path.startsWith(requested + "/")) {
    return { refused: `entry '${clip(path)}' is not inside '${clip(requested)}'` };
  }
  const rel = path.slice(requested.length + 1);
  const problem = remoteNameProblem(rel);
  if (problem) return { refused: `entry '${clip(path)}' is unsafe because ${problem}` };
  return rel;
}
