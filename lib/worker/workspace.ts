/**
 * The worker's directory layout:
 *
 * ```
 * <workdir>/worker-<uid>-<pid>-<rand>/
 *   cache/<cachedname>      files and trees the manager sent or tasks produced
 *   transfer/<n>            uploads in progress, renamed into cache/ when whole
 *   t.<taskid>/             a task's sandbox
 *   t.<taskid>.stdout       its standard output (outside the sandbox)
 *   spare.<n>/, spare.<n>.stdout   clean ones kept for later tasks (task_dirs.ts)
 * ```
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import { cacheNameProblem, clip } from "../wire/protocol.ts";

/**
 * One worker's workspace. It is made at start, removed with everything in
 * it when the manager goes away (and made again before the next connection),
 * and removed when the worker exits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const ws = await Workspace.create(dir);
 * assert.equal(ws.cachePath("a.txt"), `${ws.root}/cache/a.txt`);
 * assert.equal(ws.sandboxPath(3), `${ws.root}/t.3`);
 * await ws.remove();
 * await Deno.remove(dir);
 * ```
 */
export class Workspace {
  /** The workspace directory, absolute. */
  readonly root: string;
  /** `root/cache`. */
  readonly cacheDir: string;
  /** `root/transfer`. */
  readonly transferDir: string;
  #counter = 0;

  private constructor(root: string) {
    this.root = root;
    this.cacheDir = `${root}/cache`;
    this.transferDir = `${root}/transfer`;
  }

  /**
   * Makes a fresh workspace under `workdir` (created if needed).
   *
   * @param workdir The parent directory.
   * @returns The workspace, with its subdirectories made.
   */
  static async create(workdir: string): Promise<Workspace> {
    const parent = await Deno.realPath(await ensureDir(workdir));
    const rand = crypto.getRandomValues(new Uint8Array(4));
    const tag = Array.from(rand, (b) => b.toString(16).padStart(2, "0")).join("");
    const ws = new Workspace(`${parent}/worker-${Deno.uid() ?? 0}-${Deno.pid}-${tag}`);
    await ws.prepare();
    return ws;
  }

  /** (Re)creates the directory with its `cache/` and `transfer/`. */
  async prepare(): Promise<void> {
    await Deno.mkdir(this.root, { recursive: true, mode: 0o700 });
    await Deno.mkdir(this.cacheDir, { recursive: true });
    await Deno.mkdir(this.transferDir, { recursive: true });
  }

  /**
   * The path of a cache entry.
   *
   * @param name The cached name (one path component).
   * @returns `root/cache/<name>`.
   * @throws {ProtocolError} If the name is unsafe.
   */
  cachePath(name: string): string {
    const problem = cacheNameProblem(name);
    if (problem) {
      throw new ProtocolError(`Cannot use cache name '${clip(name)}': ${problem}`);
    }
    return `${this.cacheDir}/${name}`;
  }

  /**
   * A fresh path in `transfer/` for an upload in progress.
   *
   * @returns `root/transfer/<n>`, not yet existing.
   */
  transferPath(): string {
    return `${this.transferDir}/${++this.#counter}`;
  }

  /**
   * A task's sandbox directory.
   *
   * @param taskId The task.
   * @returns `root/t.<id>`.
   */
  sandboxPath(taskId: number): string {
    return `${this.root}/t.${taskId}`;
  }

  /**
   * Where a task's standard output is written (outside its sandbox, so the
   * task cannot list or replace it).
   *
   * @param taskId The task.
   * @returns `root/t.<id>.stdout`.
   */
  stdoutPath(taskId: number): string {
    return `${this.root}/t.${taskId}.stdout`;
  }

  /** Deletes the workspace and everything in it. */
  async remove(): Promise<void> {
    await removeAll(this.root);
  }
}

/**
 * `rm -rf`: removes a file or tree; a missing path is fine.
 *
 * @param path What to remove.
 */
export async function removeAll(path: string): Promise<void> {
  // A file, a symbolic link or an empty directory goes in one synchronous
  // call: an unlink costs less than the trip through Deno's thread pool that
  // an async one takes, and waiting for that trip stalls the caller (the
  // worker's command loop) when the CPUs are busy with transfers.
  try {
    Deno.removeSync(path);
    return;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    // A directory with entries, or no permission: the recursive path decides.
  }
  try {
    await Deno.remove(path, { recursive: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return;
    // A task may have left directories without write permission.
    if (e instanceof Deno.errors.PermissionDenied) {
      await makeWritable(path);
      await Deno.remove(path, { recursive: true });
      return;
    }
    throw e;
  }
}

async function makeWritable(path: string): Promise<void> {
  const st = await Deno.lstat(path);
  if (!st.isDirectory) return;
  await Deno.chmod(path, 0o700);
  for await (const e of Deno.readDir(path)) await makeWritable(`${path}/${e.name}`);
}

async function ensureDir(path: string): Promise<string> {
  await Deno.mkdir(path, { recursive: true });
  return path;
}
