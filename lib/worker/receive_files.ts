/**
 * Uploads from the manager into the cache: `put` (one file) and the
 * recursive `dir` stream (their grammar is `lib/wire/files.ts`'s). Bodies
 * stream to a file under `transfer/` and are renamed into `cache/` only
 * when whole.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import type { LineReader } from "../wire/line_reader.ts";
import { parseUploadEntry, type UploadEntry } from "../wire/files.ts";
import { clip } from "../wire/protocol.ts";
import { DiskFullError, isDiskFullError } from "./disk_full.ts";
import { symlink } from "./symlink.ts";
import { removeAll, type Workspace } from "./workspace.ts";

/** How deep a `dir` upload may nest. */
export const MAX_DIR_DEPTH = 64;
/** The longest symlink target accepted. */
const MAX_SYMLINK = 4096;

/** Called for each entry received, for the debug log. */
export type ReceiveLog = (message: string) => void;

/** Options for {@linkcode receivePut} and {@linkcode receiveDir}. */
export interface ReceiveOptions {
  /** The workspace whose cache receives the upload. */
  workspace: Workspace;
  /** Debug log of each entry of a `dir` stream. */
  log?: ReceiveLog;
}

/**
 * Handles a top-level `put <name> <len> <mode>`: streams the body into
 * `cache/<name>`.
 *
 * @param reader The connection's reader, positioned at the body.
 * @param put The parsed `put` line (its name decoded and checked).
 * @param options The workspace.
 * @throws {DiskFullError} If the disk is full: the body was read (and
 * dropped), so the connection stays usable; nothing of it is kept.
 */
export async function receivePut(
  reader: LineReader,
  put: UploadEntry & { kind: "put" },
  options: ReceiveOptions,
): Promise<void> {
  const ws = options.workspace;
  const { name, length, mode } = put;
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
 * Handles a top-level `dir <name>`: receives the nested
 * `put`/`symlink`/`dir`/`end` stream into `cache/<name>`.
 *
 * @param reader The connection's reader, positioned after the `dir` line.
 * @param dir The parsed `dir` line (its name decoded and checked).
 * @param options The workspace, and a debug log of each entry.
 * @throws {ProtocolError} On a malformed entry or unsafe name.
 * @throws {DiskFullError} If the disk is full: the rest of the stream was
 * read (and dropped), so the connection stays usable; nothing of it is kept.
 */
export async function receiveDir(
  reader: LineReader,
  dir: UploadEntry & { kind: "dir" },
  options: ReceiveOptions,
): Promise<void> {
  const ws = options.workspace;
  const name = dir.name;
  const target = ws.cachePath(name);
  const tmp = ws.transferPath();
  const landing: Landing = {};
  try {
    await receiveTree(reader, tmp, { depth: 1, log: options.log ?? (() => {}), landing });
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
    const e = parseUploadEntry(line);
    if (!e) throw new ProtocolError(`Cannot receive directory: unexpected line '${clip(line)}'`);
    if (e.kind === "end") break;
    if (seen.has(e.name)) {
      throw new ProtocolError(
        `Cannot receive '${clip(line)}': the directory already has '${clip(e.name)}'`,
      );
    }
    seen.add(e.name);
    const entry = `${dir}/${e.name}`;
    if (e.kind === "put") {
      await writeBody(reader, entry, e.length, e.mode, landing);
    } else if (e.kind === "symlink") {
      const target = new TextDecoder().decode(await reader.readExact(e.length, MAX_SYMLINK));
      if (target === "" || target.includes("\0")) {
        throw new ProtocolError(`Cannot receive '${clip(line)}': bad symlink target`);
      }
      await land(landing, () => symlink(target, entry));
    } else {
      await receiveTree(reader, entry, { depth: depth + 1, log, landing });
    }
  }
  await land(landing, () => Deno.chmod(dir, 0o755));
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
