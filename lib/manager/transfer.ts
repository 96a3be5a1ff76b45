/**
 * Queueing on a worker's writer what a placed task needs: the inputs the
 * worker lacks and the task block; and, when it is done or cancelled, the
 * `kill` and `unlink`s that clean up after it.
 *
 * @module
 */

import { encodeCommand } from "../wire/commands.ts";
import { encodeUploadEntry } from "../wire/files.ts";
import type { FrameWriter } from "../wire/frame_writer.ts";
import { FLAG_CACHE, FLAG_WATCH } from "../wire/protocol.ts";
import { encodeTaskBlock, type TaskBlockInput, type TaskBlockSource } from "../wire/task_block.ts";
import type { Task } from "../task.ts";
import type { Dialect } from "../wire/protocol.ts";
import {
  type Dispatch,
  localityKey,
  type MadeInput,
  type StagedInput,
  type TreeEntry,
} from "./staging.ts";

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
/** The mode of an input made on the worker (CCTools sends 0777). */
const MADE_MODE = 0o777;
const encoder = new TextEncoder();

/**
 * What asks a worker to make an input, in its dialect: protocol 11's
 * `puturl`/`putcmd` (size 0: not known yet), or protocol 9's
 * `url <name> <len> 0777 <flags>` with the URL as its body and
 * `thirdget 1 <name> <command>` (what Debian's CCTools manager sends).
 *
 * @param input The input.
 * @param dialect The worker's protocol.
 * @returns The bytes to send.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const url = { kind: "url", name: "url-0-ab", remote: "a", cache: true, url: "http://h/a" } as const;
 * assert.equal(madeInputCommand(url, 11), "puturl http://h/a url-0-ab 0 777\n");
 * assert.equal(madeInputCommand(url, 9), "url url-0-ab 10 0777 1\nhttp://h/a");
 * const cmd = { kind: "command", name: "cmd-2-cd", remote: "b", cache: false, command: "echo > %%" } as const;
 * assert.equal(madeInputCommand(cmd, 9), "thirdget 1 cmd-2-cd echo > %%\n");
 * ```
 */
export function madeInputCommand(input: MadeInput, dialect: Dialect): string {
  const { name } = input;
  if (dialect === 11) {
    return input.kind === "url"
      ? encodeCommand({ kind: "puturl", url: input.url, name, size: 0, mode: MADE_MODE })
      : encodeCommand({ kind: "putcmd", command: input.command, name, size: 0, mode: MADE_MODE });
  }
  if (input.kind === "command") {
    return encodeCommand({ kind: "thirdget", mode: 1, name, path: input.command });
  }
  const flags = input.cache ? FLAG_CACHE : 0;
  const length = encoder.encode(input.url).length;
  return encodeCommand({ kind: "url", name, length, mode: MADE_MODE, flags }) + input.url;
}

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
    } else if (input.kind === "url" || input.kind === "command") {
      w.send(madeInputCommand(input, d.worker.dialect));
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
    // A made input's size is known when the worker says (cache-update).
    const size = input.kind === "buffer"
      ? input.data.length
      : input.kind === "url" || input.kind === "command"
      ? 0
      : input.size;
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
    ...(task.runningTimeMax > 0 ? { wallTime: task.runningTimeMax } : {}),
    ...(task.endTime > 0 ? { endTime: task.endTime / 1000 } : {}),
    env: task.environment,
    inputs: d.inputs.map(blockInput),
    outputs: outputs.length === 0 ? NONE : outputs.map((o, i) => ({
      cachedName: d.outputNames[i],
      remoteName: o.remote,
      flags: (o.cache ? FLAG_CACHE : 0) | (o.watch ? FLAG_WATCH : 0),
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
