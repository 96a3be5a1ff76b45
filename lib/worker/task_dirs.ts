/**
 * Task directories and stdout files, recycled. Making and removing a
 * directory or file costs an inode allocation or release each time (on
 * ext4 a `rmdir` can take a few hundred microseconds); renaming costs
 * neither. So a task's sandbox (`t.<id>/` with its empty private
 * temporary directory) and its stdout file are, when the task left them
 * clean, renamed to `spare.<n>/` and `spare.<n>.stdout` and renamed back
 * for a later task.
 *
 * @module
 */

import { removeAll, type Workspace } from "./workspace.ts";

/** The private temporary directory made inside each sandbox (the task's TMPDIR). */
export const SANDBOX_TMP = ".wq-tmp";

/** Options for {@linkcode TaskDirs.release}. */
export interface ReleaseOptions {
  /** False when a process of the task may still run. Default true. */
  recycle?: boolean;
  /** Where the task's inputs were placed (names relative to the sandbox). */
  inputs?: string[];
}

/** Options for {@linkcode TaskDirs}. */
export interface TaskDirsOptions {
  /** The most spare sandboxes (and stdout files) kept. Default 64. */
  maxSpares?: number;
}

/**
 * Makes and takes back task sandboxes and stdout files in one workspace.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { Workspace } from "./workspace.ts";
 * const dir = await Deno.makeTempDir();
 * const ws = await Workspace.create(dir);
 * const dirs = new TaskDirs(ws);
 * const sandbox = await dirs.make(1);
 * assert.equal(sandbox, ws.sandboxPath(1));
 * await dirs.release(1);
 * assert.equal(dirs.spares, 1);
 * assert.equal(await dirs.make(2), ws.sandboxPath(2)); // the spare, renamed
 * assert.equal(dirs.spares, 0);
 * await ws.remove();
 * await Deno.remove(dir);
 * ```
 */
export class TaskDirs {
  #ws: Workspace;
  #max: number;
  #spareDirs: string[] = [];
  #spareFiles: string[] = [];
  #counter = 0;
  /** The modes a fresh sandbox and its temporary directory get (after the umask). */
  #modes: [number, number] | undefined;

  /**
   * @param ws The workspace.
   * @param options How many spares to keep.
   */
  constructor(ws: Workspace, options: TaskDirsOptions = {}) {
    this.#ws = ws;
    this.#max = options.maxSpares ?? 64;
  }

  /** How many spare sandboxes are kept now. */
  get spares(): number {
    return this.#spareDirs.length;
  }

  /**
   * Makes `t.<id>/` with an empty `.wq-tmp/` (a spare renamed, or new
   * directories), and places a spare empty stdout file at `t.<id>.stdout`
   * when one is kept. Anything already at `t.<id>` is removed.
   *
   * @param id The task.
   * @returns The sandbox path.
   */
  async make(id: number): Promise<string> {
    const sandbox = this.#ws.sandboxPath(id);
    const file = this.#spareFiles.pop();
    if (file !== undefined) Deno.renameSync(file, this.#ws.stdoutPath(id));
    const spare = this.#spareDirs.pop();
    if (spare !== undefined) {
      try {
        Deno.renameSync(spare, sandbox);
      } catch (e) {
        if (!exists(sandbox)) throw e;
        // Something is in the way at `t.<id>` (a non-empty directory or a file).
        await removeAll(sandbox);
        Deno.renameSync(spare, sandbox);
      }
      return sandbox;
    }
    try {
      Deno.mkdirSync(sandbox, { mode: 0o755 });
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
      await removeAll(sandbox);
      Deno.mkdirSync(sandbox, { mode: 0o755 });
    }
    Deno.mkdirSync(`${sandbox}/${SANDBOX_TMP}`, { mode: 0o700 });
    this.#modes ??= [
      Deno.lstatSync(sandbox).mode! & 0o7777,
      Deno.lstatSync(`${sandbox}/${SANDBOX_TMP}`).mode! & 0o7777,
    ];
    return sandbox;
  }

  /**
   * Takes back a task's sandbox and stdout file: kept as spares when
   * `recycle` allows it, when clean (nothing but the empty `.wq-tmp/`,
   * modes unchanged) and while fewer than the limit are kept; removed
   * otherwise. Missing ones are fine.
   *
   * @param id The task.
   * @param options `recycle: false` when a process of the task may still
   * run: it could write into a later task's files (default true);
   * `inputs`: the names the task's inputs were placed at, removed first so
   * that a task that only had inputs leaves a clean sandbox.
   */
  async release(id: number, options: ReleaseOptions = {}): Promise<void> {
    const recycle = options.recycle ?? true;
    const sandbox = this.#ws.sandboxPath(id);
    if (recycle && this.#spareDirs.length < this.#max) {
      for (const name of options.inputs ?? []) {
        // Top-level names only; anything else fails the cleanliness check.
        if (name.includes("/") || name === "" || name === "." || name === "..") continue;
        try {
          Deno.removeSync(`${sandbox}/${name}`);
        } catch {
          break; // gone, replaced by a non-empty directory, ...: the check decides
        }
      }
    }
    if (recycle && this.#spareDirs.length < this.#max && this.#isClean(sandbox)) {
      const spare = `${this.#ws.root}/spare.${++this.#counter}`;
      Deno.renameSync(sandbox, spare);
      this.#spareDirs.push(spare);
    } else {
      await removeSandbox(sandbox);
    }
    this.#releaseStdout(this.#ws.stdoutPath(id), recycle);
  }

  #releaseStdout(path: string, recycle: boolean): void {
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(path);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      throw e;
    }
    if (recycle && info.isFile && info.nlink === 1 && this.#spareFiles.length < this.#max) {
      if (info.size > 0) Deno.truncateSync(path, 0);
      const spare = `${this.#ws.root}/spare.${++this.#counter}.stdout`;
      Deno.renameSync(path, spare);
      this.#spareFiles.push(spare);
    } else {
      Deno.removeSync(path);
    }
  }

  /** Whether a sandbox holds nothing but its empty temporary directory, as made. */
  #isClean(sandbox: string): boolean {
    if (this.#modes === undefined) return false;
    const tmp = `${sandbox}/${SANDBOX_TMP}`;
    try {
      // nlink counts subdirectories: 3 = ".", the parent's entry and .wq-tmp's "..".
      const s = Deno.lstatSync(sandbox);
      if (!s.isDirectory || s.nlink !== 3 || (s.mode! & 0o7777) !== this.#modes[0]) return false;
      const t = Deno.lstatSync(tmp);
      if (!t.isDirectory || t.nlink !== 2 || (t.mode! & 0o7777) !== this.#modes[1]) return false;
      return holdsOnly(tmp, undefined) && holdsOnly(sandbox, SANDBOX_TMP);
    } catch (e) {
      if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.PermissionDenied) {
        return false;
      }
      throw e;
    }
  }
}

/** Whether a directory holds no entry but `name` (nothing at all for `undefined`). */
function holdsOnly(dir: string, name: string | undefined): boolean {
  for (const e of Deno.readDirSync(dir)) if (e.name !== name) return false;
  return true;
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/**
 * Removes a sandbox: with two synchronous rmdir calls when it holds only
 * its empty temporary directory, recursively otherwise. Missing is fine.
 */
async function removeSandbox(path: string): Promise<void> {
  try {
    Deno.removeSync(`${path}/${SANDBOX_TMP}`);
    Deno.removeSync(path);
    return;
  } catch (e) {
    // Not empty, or the task removed or replaced its temporary directory.
    if (e instanceof Deno.errors.NotFound && !exists(path)) return;
  }
  await removeAll(path);
}
