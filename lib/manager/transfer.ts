/**
 * Moving files: staging a task's inputs (stat, name, walk directories),
 * queueing them and the task block on a worker's writer, and landing
 * fetched outputs safely (temporary name, then rename).
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { errorMessage } from "../errors.ts";
import { encodeCommand } from "../wire/commands.ts";
import { encodeUploadEntry } from "../wire/files.ts";
import type { FrameWriter } from "../wire/frame_writer.ts";
import { FLAG_CACHE } from "../wire/protocol.ts";
import { encodeTaskBlock, type TaskBlockInput, type TaskBlockSource } from "../wire/task_block.ts";
import type { ByteSink } from "../wire/line_reader.ts";
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
  | { kind: "emptydir"; remote: string };

/** Everything decided when a task is placed on a worker. */
export interface Dispatch {
  worker: WorkerInfo;
  alloc: Resources;
  inputs: StagedInput[];
  /** Cache names of the outputs, in the order of `task.outputs`. */
  outputNames: string[];
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

/** The staged form of an input that needs no file system: an empty directory or a buffer. */
function stageInMemory(spec: Exclude<InputSpec, { kind: "file" }>): StagedInput {
  return spec.kind === "emptydir" ? { kind: "emptydir", remote: spec.remote } : stageBuffer(spec);
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
 * `f:<absolute local path>` or `b:<md5 of a buffer>`; `undefined` for inputs
 * that are not cached.
 *
 * @param spec The input.
 * @returns The key, or `undefined`.
 */
export function localityKey(spec: InputSpec): string | undefined {
  if (spec.kind === "emptydir" || !spec.cache) return undefined;
  const m = memoOf(spec);
  if (m.key === undefined) {
    m.key = spec.kind === "buffer" ? `b:${md5(spec.data)}` : `f:${absolute(spec)}`;
  }
  return m.key ?? undefined;
}

function queueTree(w: FrameWriter, entries: TreeEntry[]): void {
  for (const e of entries) {
    if (e.kind === "dir") {
      w.send(encodeUploadEntry({ kind: "dir", name: e.name }));
      queueTree(w, e.children);
      w.send(END);
    } else {
      w.send(encodeUploadEntry({ kind: "put", name: e.name, length: e.size, mode: e.mode }));
      w.sendFile(e.path, e.size);
    }
  }
}

const END = encodeUploadEntry({ kind: "end" });

/** The mode of a buffer's `put`. */
const BUFFER_MODE = 0o644;

/**
 * Queues, in order, every input the worker lacks and then the task block.
 * It only reads the worker's books: the reactor then books what was sent
 * with {@linkcode bookCachedInputs}.
 *
 * @param w The worker's writer.
 * @param task The task.
 * @param d The dispatch decided for it.
 */
export function queueTask(w: FrameWriter, task: Task, d: Dispatch): void {
  const cached = d.worker.cached;
  const inputs = d.inputs;
  let sent: Set<string> | undefined; // a cached input named twice in one task goes once
  for (let i = 0; i < inputs.length; i++) {
    const input = inputs[i];
    if (input.kind === "emptydir" || cached.has(input.name) || sent?.has(input.name)) continue;
    if (input.cache) (sent ??= new Set()).add(input.name);
    if (input.kind === "file") {
      w.send(
        encodeCommand({ kind: "put", name: input.name, length: input.size, mode: input.mode }),
      );
      w.sendFile(input.path, input.size);
    } else if (input.kind === "buffer") {
      const length = input.data.length;
      w.send(encodeCommand({ kind: "put", name: input.name, length, mode: BUFFER_MODE }));
      w.send(input.data);
    } else {
      w.send(encodeCommand({ kind: "dir", name: input.name }));
      queueTree(w, input.children);
      w.send(END);
    }
  }
  w.send(encodeTaskBlock(taskBlockOf(task, d)));
}

/**
 * Books the cacheable inputs of a dispatch as held by its worker (after
 * {@linkcode queueTask} sent those it lacked), with their sizes and
 * locality keys.
 *
 * @param task The task.
 * @param d Its dispatch, with its staged inputs.
 */
export function bookCachedInputs(task: Task, d: Dispatch): void {
  const w = d.worker;
  for (const [i, input] of d.inputs.entries()) {
    if (input.kind === "emptydir" || !input.cache || w.cached.has(input.name)) continue;
    const size = input.kind === "buffer" ? input.data.length : input.size;
    w.cached.set(input.name, size);
    const key = localityKey(task.inputs[i]);
    if (key) w.cachedKeys.set(key, size);
  }
}

/**
 * The `task` block for a task placed on a worker: its command, category,
 * allocation, environment, inputs and outputs under their cache names.
 *
 * @param task The task.
 * @param d Its dispatch.
 * @returns What `encodeTaskBlock()` sends.
 */
export function taskBlockOf(task: Task, d: Dispatch): TaskBlockSource {
  const outputs = task.outputs;
  return {
    id: task.id,
    command: task.command,
    category: task.category,
    request: d.alloc,
    env: task.environment,
    inputs: d.inputs.map(blockInput),
    outputs: outputs.length === 0 ? NONE : outputs.map((o, i) => ({
      cachedName: d.outputNames[i],
      remoteName: o.remote,
      flags: o.cache ? FLAG_CACHE : 0,
    })),
  };
}

const NONE: never[] = [];

function blockInput(input: StagedInput): TaskBlockInput {
  return input.kind === "emptydir" ? { kind: "dir", remoteName: input.remote } : {
    kind: "file",
    cachedName: input.name,
    remoteName: input.remote,
    flags: input.cache ? FLAG_CACHE : 0,
  };
}

/**
 * Queues the clean-up after a task left a worker: `kill <id>` (drops the
 * sandbox) and `unlink` of every object that is not cached.
 *
 * @param w The worker's writer.
 * @param task The task.
 * @param d Its dispatch.
 */
export function queueCleanup(w: FrameWriter, task: Task, d: Dispatch): void {
  let msg = encodeCommand({ kind: "kill", id: task.id });
  for (const input of d.inputs) {
    if (input.kind !== "emptydir" && !input.cache) {
      msg += encodeCommand({ kind: "unlink", name: input.name });
    }
  }
  const outputs = task.outputs;
  for (let i = 0; i < outputs.length; i++) {
    if (!outputs[i].cache) msg += encodeCommand({ kind: "unlink", name: d.outputNames[i] });
  }
  w.send(msg);
}

let tmpCounter = 0;

/**
 * Lands one output (a file or a directory tree) under a temporary name next
 * to its final path, and renames it into place only when it came whole.
 * Entries are addressed by their path below the output (`""` for the output
 * itself), already checked by `parseOutputEntry()`. Files are
 * created with `createNew`, so an entry never writes through an existing
 * name. Local failures (a conflicting entry, a full disk, a directory in
 * the way) are returned as reasons, never thrown, so that the reply stream
 * stays in step.
 */
export class OutputLanding {
  readonly local: string;
  readonly #tmp: string;
  #started = false;

  /** @param local The final local path. */
  constructor(local: string) {
    this.local = resolve(local);
    this.#tmp = `${dirname(this.local)}/.${
      this.local.split("/").at(-1)
    }.wq-${Deno.pid}-${++tmpCounter}.part`;
  }

  #pathOf(rel: string): string {
    return rel === "" ? this.#tmp : `${this.#tmp}/${rel}`;
  }

  /** Makes sure the parent of the temporary path exists. */
  async prepare(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await Deno.mkdir(dirname(this.local), { recursive: true });
  }

  /**
   * Makes the directory of a `dir` entry.
   *
   * @param rel Its path below the output.
   * @returns Why it could not be made, or `undefined`.
   */
  async makeDir(rel: string): Promise<string | undefined> {
    try {
      await this.prepare();
      await Deno.mkdir(this.#pathOf(rel), { recursive: true });
      return undefined;
    } catch (e) {
      return `entry '${rel || "."}' cannot be made: ${errorMessage(e)}`;
    }
  }

  /**
   * Writes the body of a `file` entry. `copy` must read the whole body and
   * write it to the sink it is given (or drop it when given `null`); after a
   * local error the sink drops the rest.
   *
   * @param rel Its path below the output.
   * @param copy Streams the body.
   * @returns Why it could not be written, or `undefined`.
   */
  async writeFile(
    rel: string,
    copy: (sink: ByteSink | null) => Promise<void>,
  ): Promise<string | undefined> {
    const path = this.#pathOf(rel);
    let failure: string | undefined;
    let file: Deno.FsFile | undefined;
    try {
      await this.prepare();
      if (rel !== "") await Deno.mkdir(dirname(path), { recursive: true });
      file = await Deno.open(path, { write: true, createNew: true });
    } catch (e) {
      failure = errorMessage(e);
    }
    const f = file;
    const sink: ByteSink | null = f
      ? {
        async write(p: Uint8Array): Promise<number> {
          if (failure !== undefined) return p.length;
          try {
            return await f.write(p);
          } catch (e) {
            failure = errorMessage(e);
            return p.length;
          }
        },
      }
      : null;
    try {
      await copy(sink);
    } finally {
      f?.close();
    }
    return failure === undefined
      ? undefined
      : `entry '${rel || "."}' cannot be written: ${failure}`;
  }

  /**
   * Moves the finished output into place, replacing what was there.
   *
   * @returns Why it could not be moved (or never came), or `undefined`.
   */
  async commit(): Promise<string | undefined> {
    const st = await Deno.lstat(this.#tmp).catch(() => undefined);
    if (!st) return "was not sent by the worker";
    try {
      if (st.isDirectory) await Deno.remove(this.local, { recursive: true }).catch(() => {});
      await Deno.rename(this.#tmp, this.local);
      return undefined;
    } catch (e) {
      return `cannot be moved into place: ${errorMessage(e)}`;
    }
  }

  /** Removes whatever was written under the temporary name. */
  async discard(): Promise<void> {
    if (this.#started) await Deno.remove(this.#tmp, { recursive: true }).catch(() => {});
  }
}
