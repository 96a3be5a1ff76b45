/**
 * A task's sandbox: inputs linked in from the cache before it runs, outputs
 * renamed into the cache after it ends. Every path is kept inside the
 * sandbox: parents are created as real directories, never followed through
 * symbolic links.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import { clip } from "../wire/protocol.ts";
import { isWithin } from "./send_files.ts";
import type { TaskBlock } from "../wire/task_block.ts";
import { symlink } from "./symlink.ts";
import { TaskDirs } from "./task_dirs.ts";
import { removeAll, type Workspace } from "./workspace.ts";

export { SANDBOX_TMP } from "./task_dirs.ts";

/** Debug log. */
export type SandboxLog = (message: string) => void;

/** Options for {@linkcode stageIn}. */
export interface StageInOptions {
  /** Debug log. */
  log?: SandboxLog;
  /** Where the sandbox comes from. Default: a new {@linkcode TaskDirs} (no spares). */
  dirs?: TaskDirs;
}

/**
 * Makes `t.<id>/` and places every input: cache entries are hard-linked
 * (copied where linking fails; trees are rebuilt with their files linked),
 * empty directories are made.
 *
 * @param ws The workspace.
 * @param spec The task.
 * @param options Debug log and the source of sandboxes.
 * @returns The sandbox path.
 * @throws {ProtocolError} If an input is not in the cache or a path would
 * leave the sandbox; the caller drops the connection, as CCTools does.
 */
export async function stageIn(
  ws: Workspace,
  spec: TaskBlock,
  options: StageInOptions = {},
): Promise<string> {
  // Metadata calls are synchronous: each is one cheap syscall, where an
  // async call would also cost a trip through Deno's thread pool.
  const log = options.log ?? (() => {});
  const sandbox = await (options.dirs ?? new TaskDirs(ws)).make(spec.id);
  for (const input of spec.inputs) {
    const target = prepareTarget(sandbox, input.remoteName);
    if (input.kind === "dir") {
      log(`task ${spec.id}: making directory ${input.remoteName}`);
      Deno.mkdirSync(target, { recursive: true });
      continue;
    }
    const source = ws.cachePath(input.cachedName);
    log(`task ${spec.id}: linking ${input.cachedName} as ${input.remoteName}`);
    if (linkFile(source, target)) continue;
    try {
      Deno.lstatSync(source);
    } catch (e) {
      throw new ProtocolError(
        `Cannot link cache entry '${clip(input.cachedName)}' into task ${spec.id} as '${
          clip(input.remoteName)
        }': ${e instanceof Deno.errors.NotFound ? "it is not in the cache" : String(e)}`,
        { cause: e },
      );
    }
    await linkTree(source, target);
  }
  return sandbox;
}

/**
 * The common case in one syscall: hard-links a file (or a symbolic link,
 * which link(2) does not follow) into place.
 *
 * @returns Whether it is done (linked, or the target already exists); false
 * if the source is missing, a directory, or cannot be linked.
 */
function linkFile(source: string, target: string): boolean {
  try {
    Deno.linkSync(source, target);
    return true;
  } catch (e) {
    return e instanceof Deno.errors.AlreadyExists;
  }
}

/**
 * Renames each declared output from the sandbox into `cache/<cachedname>`.
 * Outputs the task did not make are skipped (the manager then gets
 * `missing` for them); outputs whose parent directory resolves outside the
 * sandbox are skipped too.
 *
 * @param ws The workspace.
 * @param spec The task.
 * @param log Debug log.
 */
export async function stageOut(
  ws: Workspace,
  spec: TaskBlock,
  log: SandboxLog = () => {},
): Promise<void> {
  if (spec.outputs.length === 0) return;
  const sandbox = ws.sandboxPath(spec.id);
  let realSandbox: string;
  try {
    realSandbox = await Deno.realPath(sandbox);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    log(`task ${spec.id}: its sandbox is gone; no outputs to collect`);
    return;
  }
  for (const out of spec.outputs) {
    const source = `${sandbox}/${out.remoteName.replace(/\/+$/, "")}`;
    const parent = source.slice(0, source.lastIndexOf("/"));
    try {
      const realParent = await Deno.realPath(parent);
      if (!isWithin(realParent, realSandbox)) {
        log(`task ${spec.id}: not collecting ${out.remoteName}: it is outside the sandbox`);
        continue;
      }
      await Deno.lstat(source);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory)) throw e;
      log(`task ${spec.id}: output ${out.remoteName} was not created`);
      continue;
    }
    const target = ws.cachePath(out.cachedName);
    await removeAll(target);
    log(`task ${spec.id}: moving output ${out.remoteName} to cache as ${out.cachedName}`);
    await Deno.rename(source, target);
  }
}

/**
 * Creates the parent directories of `remoteName` inside `sandbox` and
 * returns the target path. An existing parent that is not a real directory
 * (for example a symbolic link from an earlier input) is refused.
 */
function prepareTarget(sandbox: string, remoteName: string): string {
  const parts = remoteName.split("/").filter((p) => p !== "" && p !== ".");
  let path = sandbox;
  for (const part of parts.slice(0, -1)) {
    path += `/${part}`;
    let info: Deno.FileInfo | undefined;
    try {
      info = Deno.lstatSync(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
    if (info === undefined) {
      Deno.mkdirSync(path, { mode: 0o755 });
    } else if (!info.isDirectory) {
      throw new ProtocolError(
        `Cannot place '${clip(remoteName)}' in the sandbox: '${clip(part)}' is not a directory`,
      );
    }
  }
  return `${path}/${parts[parts.length - 1]}`;
}

/**
 * Places `source` at `target`: files are hard-linked (copied if linking
 * fails), directories rebuilt entry by entry, symbolic links recreated.
 * A target that already exists is left alone (CCTools does the same when an
 * input is mapped twice).
 *
 * @param source A path in the cache.
 * @param target The path in the sandbox.
 */
export async function linkTree(source: string, target: string): Promise<void> {
  const info = await Deno.lstat(source);
  if (info.isSymlink) {
    await ignoreExists(symlink(await Deno.readLink(source), target));
  } else if (info.isDirectory) {
    await ignoreExists(Deno.mkdir(target, { mode: 0o755 }));
    for await (const e of Deno.readDir(source)) {
      await linkTree(`${source}/${e.name}`, `${target}/${e.name}`);
    }
  } else {
    try {
      await Deno.link(source, target);
    } catch (e) {
      if (e instanceof Deno.errors.AlreadyExists) return;
      await Deno.copyFile(source, target);
    }
  }
}

async function ignoreExists(p: Promise<void>): Promise<void> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
  }
}
