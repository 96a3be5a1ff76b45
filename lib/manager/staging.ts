/**
 * Staging a task's inputs when it is placed on a worker: stat the local
 * files, name them in the worker's cache, walk input directories, and make
 * each input ready to send. Also the types a placement carries
 * ({@linkcode Dispatch}) and the locality keys FILES scheduling uses.
 *
 * @module
 */

import { resolve } from "node:path";
import { errorMessage } from "../errors.ts";
import type { InputSpec, Task } from "../task.ts";
import { cacheName, md5 } from "./cache_names.ts";
import type { Resources } from "../resources.ts";
import type { WorkerInfo } from "./worker_info.ts";

/** A file or directory inside an input directory tree. */
export type TreeEntry =
  | { kind: "file"; name: string; path: string; size: number; mode: number }
  | { kind: "dir"; name: string; children: TreeEntry[] };

/** An input made ready to send: its cache name and how to send it. */
export type StagedInput =
  | {
    kind: "file";
    name: string;
    remote: string;
    cache: boolean;
    path: string;
    size: number;
    mode: number;
  }
  | { kind: "buffer"; name: string; remote: string; cache: boolean; data: Uint8Array }
  | {
    kind: "dir";
    name: string;
    remote: string;
    cache: boolean;
    children: TreeEntry[];
    size: number;
  }
  | { kind: "emptydir"; remote: string }
  /** Made on the worker: fetched from `url`, or made by `command` (`%%`: its path). */
  | { kind: "url"; name: string; remote: string; cache: boolean; url: string }
  | { kind: "command"; name: string; remote: string; cache: boolean; command: string };

/** A staged input the worker makes itself. */
export type MadeInput = StagedInput & { kind: "url" | "command" };

/** Everything decided when a task is placed on a worker. */
export interface Dispatch {
  worker: WorkerInfo;
  alloc: Resources;
  inputs: StagedInput[];
  /** Cache names of the outputs, in the order of `task.outputs`. */
  outputNames: string[];
  /** The inputs the worker was asked to make with this task (it did not hold them). */
  madeSent?: MadeInput[];
  /**
   * Queued ahead on a fast-path worker (sent before a slot was free): booked
   * in `worker.ahead`, not `worker.inUse`, until a slot frees (`Core`).
   */
  ahead?: boolean;
  /** When a task queued ahead took a slot (ms): when it started, as far as the manager knows. */
  promotedAt?: number;
}

/** The outcome of staging: the inputs, or why one is missing. */
export type StageResult = { inputs: StagedInput[] } | { missing: string };

async function walk(dir: string): Promise<{ children: TreeEntry[]; size: number; sig: string }> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  names.sort();
  const children: TreeEntry[] = [];
  let size = 0;
  let sig = "";
  for (const name of names) {
    const path = `${dir}/${name}`;
    const st = await Deno.stat(path); // follows symlinks: their contents are sent
    if (st.isDirectory) {
      const sub = await walk(path);
      children.push({ kind: "dir", name, children: sub.children });
      size += sub.size;
      sig += `${name}/{${sub.sig}}`;
    } else if (st.isFile) {
      children.push({ kind: "file", name, path, size: st.size, mode: (st.mode ?? 0o644) & 0o777 });
      size += st.size;
      sig += `${name}:${st.size}:${st.mtime?.getTime()};`;
    }
  }
  return { children, size, sig };
}

/** What staging remembers about one input spec between dispatches. */
interface SpecMemo {
  /** The absolute local path (files and directories). */
  path?: string;
  /** Size and mtime the cache name was made from, and that name. */
  size?: number;
  mtime?: number;
  name?: string;
  /** The locality key, once computed (`null`: none). */
  key?: string | null;
}

const memos = new WeakMap<InputSpec, SpecMemo>();

function memoOf(spec: InputSpec): SpecMemo {
  let m = memos.get(spec);
  if (!m) {
    m = {};
    memos.set(spec, m);
  }
  return m;
}

let bufferCounter = 0;
let uncachedBufferHash: string | undefined;

/**
 * The staged form of an input that needs no file system: an empty
 * directory, a buffer, or an input the worker makes.
 */
function stageInMemory(spec: Exclude<InputSpec, { kind: "file" }>): StagedInput {
  switch (spec.kind) {
    case "emptydir":
      return { kind: "emptydir", remote: spec.remote };
    case "buffer":
      return stageBuffer(spec);
    default:
      return stageMade(spec);
  }
}

/** `url-<n>-<md5(url)>` or `cmd-<n>-<md5(command)>`, as CCTools names them (n = 0 when cached). */
function stageMade(spec: InputSpec & { kind: "url" | "command" }): MadeInput {
  const { remote, cache } = spec;
  if (spec.kind === "url") {
    const name = cache
      ? memoOf(spec).name ??= cacheName("url", spec.url, { cached: true })
      : cacheName("url", spec.url, { cached: false });
    return { kind: "url", name, remote, cache, url: spec.url };
  }
  const name = cache
    ? memoOf(spec).name ??= cacheName("cmd", spec.command, { cached: true })
    : cacheName("cmd", spec.command, { cached: false });
  return { kind: "command", name, remote, cache, command: spec.command };
}

function stageBuffer(spec: InputSpec & { kind: "buffer" }): StagedInput {
  let name: string;
  if (spec.cache) {
    const m = memoOf(spec);
    name = m.name ??= cacheName("buffer", spec.data, { cached: true });
  } else {
    uncachedBufferHash ??= md5("buffer");
    name = `buffer-${++bufferCounter}-${uncachedBufferHash}`;
  }
  return { kind: "buffer", name, remote: spec.remote, cache: spec.cache, data: spec.data };
}

/** The staged form of a regular file, from its current size and mtime. */
function stageFile(
  spec: InputSpec & { kind: "file" },
  path: string,
  st: { size: number; mtime: Date | null; mode: number | null },
): StagedInput & { kind: "file" } {
  const m = memoOf(spec);
  const mtime = st.mtime?.getTime();
  let name: string;
  if (spec.cache && m.name !== undefined && m.size === st.size && m.mtime === mtime) {
    name = m.name;
  } else {
    name = cacheName("file", `${path}|${st.size}|${mtime}`, { cached: spec.cache, base: path });
    if (spec.cache) [m.size, m.mtime, m.name] = [st.size, mtime, name];
  }
  const mode = (st.mode ?? 0o644) & 0o777;
  return { kind: "file", name, remote: spec.remote, cache: spec.cache, path, size: st.size, mode };
}

function absolute(spec: InputSpec & { kind: "file" }): string {
  const m = memoOf(spec);
  return m.path ??= resolve(spec.local);
}

/**
 * Stages a task's inputs without waiting, when it can: a file is looked at
 * with one `stat` (its cache name follows its size and mtime, so a changed
 * file gets a new name and is sent again), and opened to prove it readable
 * only when `cached` (the worker's cache) lacks it. Returns `undefined` when
 * an input is a directory, whose tree needs {@linkcode stageInputs}.
 *
 * @param task The task.
 * @param cached The cache names the worker holds.
 * @returns The staged inputs, `{ missing }` with a reason, or `undefined`.
 */
export function stageInputsSync(
  task: Task,
  cached: ReadonlyMap<string, number>,
): StageResult | undefined {
  const specs = task.inputs;
  if (specs.length === 0) return NO_INPUTS;
  const inputs: StagedInput[] = [];
  for (const spec of specs) {
    if (spec.kind !== "file") {
      inputs.push(stageInMemory(spec));
      continue;
    }
    const path = absolute(spec);
    try {
      const st = Deno.statSync(path);
      if (st.isDirectory) return undefined;
      const staged = stageFile(spec, path, st);
      // Opening proves it is readable now; the body is read again when sent.
      if (!cached.has(staged.name)) Deno.openSync(path, { read: true }).close();
      inputs.push(staged);
    } catch (e) {
      return { missing: `input '${spec.local}' cannot be read: ${errorMessage(e)}` };
    }
  }
  return { inputs };
}

const NO_INPUTS: StageResult = { inputs: [] };

/**
 * Looks at a task's local inputs and decides their cache names, walking
 * directory trees. A missing or unreadable input is reported, not thrown.
 *
 * @param task The task.
 * @returns The staged inputs, or `{ missing }` with a reason.
 */
export async function stageInputs(task: Task): Promise<StageResult> {
  const inputs: StagedInput[] = [];
  for (const spec of task.inputs) {
    if (spec.kind !== "file") {
      inputs.push(stageInMemory(spec));
      continue;
    }
    const path = absolute(spec);
    try {
      const st = await Deno.stat(path);
      if (st.isDirectory) {
        const tree = await walk(path);
        const name = cacheName("dir", `${path}|${tree.sig}`, { cached: spec.cache, base: path });
        inputs.push({
          kind: "dir",
          name,
          remote: spec.remote,
          cache: spec.cache,
          children: tree.children,
          size: tree.size,
        });
      } else {
        // Opening proves it is readable now; the body is read again when sent.
        (await Deno.open(path, { read: true })).close();
        inputs.push(stageFile(spec, path, st));
      }
    } catch (e) {
      return { missing: `input '${spec.local}' cannot be read: ${errorMessage(e)}` };
    }
  }
  return { inputs };
}

/**
 * What identifies a cacheable input across tasks for locality scheduling:
 * `f:<absolute local path>`, `b:<md5 of a buffer>`, `u:<md5 of a URL>` or
 * `c:<md5 of a command>`; `undefined` for inputs that are not cached.
 *
 * @param spec The input.
 * @returns The key, or `undefined`.
 */
export function localityKey(spec: InputSpec): string | undefined {
  if (spec.kind === "emptydir" || !spec.cache) return undefined;
  const m = memoOf(spec);
  if (m.key === undefined) {
    m.key = spec.kind === "buffer"
      ? `b:${md5(spec.data)}`
      : spec.kind === "url"
      ? `u:${md5(spec.url)}`
      : spec.kind === "command"
      ? `c:${md5(spec.command)}`
      : `f:${absolute(spec)}`;
  }
  return m.key ?? undefined;
}

/**
 * The locality key of a cached input the worker made, from its cache name
 * (`url-0-<md5>` is `u:<md5>`, `cmd-0-<md5>` is `c:<md5>`), so that what the
 * worker reports about it (`cache-update`, `cache-invalid`) reaches the
 * FILES scheduler's books.
 *
 * @param name A cache name.
 * @returns The key, or `undefined` if the name is not that of a cached made input.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(madeInputKey("url-0-3db6155f8aa8e22f395bfc65b3375f65"), "u:3db6155f8aa8e22f395bfc65b3375f65");
 * assert.equal(madeInputKey("url-4-834e66a5842008b964aef083596f672e"), undefined);
 * ```
 */
export function madeInputKey(name: string): string | undefined {
  const m = /^(url|cmd)-0-([0-9a-f]{32})$/.exec(name);
  return m ? `${m[1] === "url" ? "u" : "c"}:${m[2]}` : undefined;
}

/**
 * Whether a staged input is one the worker makes (a URL or a command).
 *
 * @param input A staged input.
 * @returns `true` for `url` and `command` inputs.
 */
export function isMade(input: StagedInput): input is MadeInput {
  return input.kind === "url" || input.kind === "command";
}
