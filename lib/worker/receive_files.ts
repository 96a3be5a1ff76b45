/**
 * Uploads from the manager into the cache: `put` (one file) and the
 * recursive `dir` stream. Bodies stream to a file under `transfer/` and are
 * renamed into `cache/` only when whole.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import type { LineReader } from "../wire/line_reader.ts";
import { cacheNameProblem, clip, parseIntField, urlDecode } from "../wire/protocol.ts";
import { DiskFullError, isDiskFullError } from "./disk_full.ts";
import { symlink } from "./symlink.ts";
import { removeAll, type Workspace } from "./workspace.ts";

/** How deep a `dir` upload may nest. */
export const MAX_DIR_DEPTH = 64;
/** The longest symlink target accepted. */
const MAX_SYMLINK = 4096;

/** Called for each entry received, for the debug log. */
export type ReceiveLog = (message: string) => void;

/**
 * Parses a mode field as CCTools' `%o` does (octal digits).
 *
 * @param field The text, e.g. `0644` or `777`.
 * @param line The whole line, for the error.
 * @returns The mode.
 * @throws {ProtocolError} If it is not octal.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(parseMode("0644", "put a 1 0644"), 0o644);
 * ```
 */
export function parseMode(field: string | undefined, line: string): number {
  if (field === undefined || !/^[0-7]{1,7}$/.test(field)) {
    throw new ProtocolError(`Cannot parse mode in '${clip(line)}': got '${clip(field ?? "")}'`);
  }
  return parseInt(field, 8) & 0o7777;
}

/**
 * Handles a top-level `put <name> <len> <mode>` line: streams the body into
 * `cache/<decoded name>`.
 *
 * @param reader The connection's reader, positioned at the body.
 * @param ws The workspace.
 * @param line The `put` line.
 * @throws {ProtocolError} On a malformed line or unsafe name (the body is
 * not consumed then; the connection must be dropped).
 * @throws {DiskFullError} If the disk is full: the body was read (and
 * dropped), so the connection stays usable; nothing of it is kept.
 */
export async function receivePut(reader: LineReader, ws: Workspace, line: string): Promise<void> {
  const w = line.split(" ");
  const name = urlDecode(w[1] ?? "");
  const length = parseIntField(w[2], "length", line);
  if (length < 0) throw new ProtocolError(`Cannot put '${clip(name)}': negative length ${length}`);
  const mode = parseMode(w[3], line);
  const target = ws.cachePath(name);
  const tmp = ws.transferPath();
  const landing: Landing = {};
  try {
    await writeBody(reader, tmp, length, mode, landing);
    if (!landing.full) await replace(tmp, target);
  } catch (e) {
    await removeAll(tmp);
    throw e;
  }
  if (landing.full) {
    await removeAll(tmp);
    throw new DiskFullError(
      `Cannot store '${clip(name)}' (${length} bytes): ${landing.full.message}`,
      { cause: landing.full },
    );
  }
}

/** How an upload is going: `full` is set once the disk filled up, and the rest is dropped. */
interface Landing {
  full?: Error;
}

/** Runs a file-system step of an upload unless the disk is full; notes a full disk. */
async function land(landing: Landing, step: () => void | Promise<void>): Promise<void> {
  if (landing.full) return;
  try {
    await step();
  } catch (e) {
    if (!isDiskFullError(e)) throw e;
    landing.full = e as Error;
  }
}

/**
 * Handles a top-level `dir <name>` line: receives the nested
 * `put`/`symlink`/`dir`/`end` stream into `cache/<decoded name>`.
 *
 * @param reader The connection's reader, positioned after the `dir` line.
 * @param ws The workspace.
 * @param line The `dir` line.
 * @param log Debug log of each entry.
 * @throws {ProtocolError} On a malformed entry or unsafe name.
 * @throws {DiskFullError} If the disk is full: the rest of the stream was
 * read (and dropped), so the connection stays usable; nothing of it is kept.
 */
export async function receiveDir(
  reader: LineReader,
  ws: Workspace,
  line: string,
  log: ReceiveLog = () => {},
): Promise<void> {
  const name = urlDecode(line.split(" ")[1] ?? "");
  const target = ws.cachePath(name);
  const tmp = ws.transferPath();
  const landing: Landing = {};
  try {
    await receiveTree(reader, tmp, { depth: 1, log, landing });
    if (!landing.full) await replace(tmp, target);
  } catch (e) {
    await removeAll(tmp);
    throw e;
  }
  if (landing.full) {
    await removeAll(tmp);
    throw new DiskFullError(
      `Cannot store directory '${clip(name)}': ${landing.full.message}`,
      { cause: landing.full },
    );
  }
}

async function receiveTree(
  reader: LineReader,
  dir: string,
  ctx: { depth: number; log: ReceiveLog; landing: Landing },
): Promise<void> {
  const { depth, log, landing } = ctx;
  if (depth > MAX_DIR_DEPTH) {
    throw new ProtocolError(
      `Cannot receive directory: it nests deeper than ${MAX_DIR_DEPTH} levels`,
    );
  }
  await land(landing, () => Deno.mkdir(dir, { mode: 0o700 }));
  const seen = new Set<string>();
  for (;;) {
    const line = await reader.readLine();
    if (line === null) {
      throw new ProtocolError("Cannot receive directory: the stream ended before 'end'");
    }
    log(`rx: ${clip(line, 200)}`);
    const w = line.split(" ");
    if (w[0] === "end") break;
    const name = entryName(w[1], line);
    if (seen.has(name)) {
      throw new ProtocolError(
        `Cannot receive '${clip(line)}': the directory already has '${clip(name)}'`,
      );
    }
    seen.add(name);
    const entry = `${dir}/${name}`;
    if (w[0] === "put") {
      const length = parseIntField(w[2], "length", line);
      if (length < 0) throw new ProtocolError(`Cannot receive '${clip(line)}': negative length`);
      await writeBody(reader, entry, length, parseMode(w[3], line), landing);
    } else if (w[0] === "symlink") {
      const length = parseIntField(w[2], "length", line);
      const target = new TextDecoder().decode(await reader.readExact(length, MAX_SYMLINK));
      if (target === "" || target.includes("\0")) {
        throw new ProtocolError(`Cannot receive '${clip(line)}': bad symlink target`);
      }
      await land(landing, () => symlink(target, entry));
    } else if (w[0] === "dir") {
      await receiveTree(reader, entry, { depth: depth + 1, log, landing });
    } else {
      throw new ProtocolError(`Cannot receive directory: unexpected line '${clip(line)}'`);
    }
  }
  await land(landing, () => Deno.chmod(dir, 0o755));
}

/** A decoded entry name inside a `dir` stream: one component, not `.` or `..`. */
function entryName(field: string | undefined, line: string): string {
  const name = urlDecode(field ?? "");
  const problem = cacheNameProblem(name);
  if (problem) {
    throw new ProtocolError(`Cannot receive '${clip(line)}': the entry name is unsafe: ${problem}`);
  }
  return name;
}

/**
 * Streams `length` bytes of body into a new file at `path`. Writes are
 * synchronous: a write into the page cache is shorter than the trip through
 * Deno's thread pool that an async write takes. The reader's buffer bounds
 * each chunk (the session gives it 1 MiB). Once the disk is full, the rest
 * of the body is read and dropped, and `landing.full` says why.
 */
async function writeBody(
  reader: LineReader,
  path: string,
  length: number,
  mode: number,
  landing: Landing,
): Promise<void> {
  let file: Deno.FsFile | undefined;
  await land(landing, () => {
    file = Deno.openSync(path, { write: true, createNew: true, mode: 0o600 });
  });
  try {
    await reader.copyTo(length, {
      write(p) {
        if (file && !landing.full) {
          try {
            return Promise.resolve(file.writeSync(p));
          } catch (e) {
            if (!isDiskFullError(e)) throw e;
            landing.full = e as Error;
          }
        }
        return Promise.resolve(p.length); // dropped, to keep the stream in step
      },
    });
  } finally {
    file?.close();
  }
  await land(landing, () => Deno.chmodSync(path, mode | 0o600));
}

/** Renames `from` over `to`, removing an old entry at `to` first if rename() cannot. */
async function replace(from: string, to: string): Promise<void> {
  try {
    Deno.renameSync(from, to);
  } catch (e) {
    // rename() cannot replace a non-empty directory, or a directory by a file.
    try {
      await Deno.lstat(to);
    } catch {
      throw e;
    }
    await removeAll(to);
    await Deno.rename(from, to);
  }
}
