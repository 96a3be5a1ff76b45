/**
 * The `task <id>` … `end` block of protocol 9 (spec §4.1): the manager
 * encodes it with {@linkcode encodeTaskBlock}, the worker reads it with
 * {@linkcode readTaskBlock}.
 *
 * ```
 * task <id>
 * cmd <N>⏎<N bytes of shell command>          (no LF after the body)
 * category <name>
 * cores <float, 3 decimals>   gpus <int>   memory <int MB>   disk <int MB>
 * end_time <float, 6 decimals>   wall_time <float, 6 decimals>
 * env <N>⏎<NAME=VALUE>⏎                      (N + 1 bytes: the one body with an LF)
 * infile <cachedname> <urlenc remote name> <flags>
 * dir <remote name>                           (an empty directory; not encoded)
 * outfile <cachedname> <urlenc remote name> <flags>
 * end
 * ```
 *
 * The cache name goes raw and is not decoded (CCTools' worker reads it
 * with `%s`); the remote name of `infile`/`outfile` is URL-encoded. Every
 * line but `cmd` is optional, and a block without resource lines takes the
 * whole worker.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import type { ResourceKind, ResourceRequest } from "../resources.ts";
import type { LineReader } from "./line_reader.ts";
import {
  cacheNameProblem,
  clip,
  parseDecimalField,
  parseIntField,
  remoteNameProblem,
  urlDecode,
  urlEncode,
} from "./protocol.ts";

/** One `infile` or `outfile` line. */
export interface TaskBlockFile {
  /** The cache name (sent and used raw, as CCTools does). */
  cachedName: string;
  /** The path in the sandbox (URL-encoded on the wire). */
  remoteName: string;
  /** The flags field (`FLAG_CACHE`, `FLAG_WATCH`…). */
  flags: number;
}

/** One thing placed in the sandbox before the task runs, in declaration order. */
export type TaskBlockInput =
  /** A cache entry (file or tree) linked in as `remoteName` (an `infile` line). */
  | ({ kind: "file" } & TaskBlockFile)
  /** An empty directory made as `remoteName` (a `dir` line). */
  | { kind: "dir"; remoteName: string };

/** A task as the manager describes it to a worker. */
export interface TaskBlock {
  /** The manager's task id. */
  id: number;
  /** The shell command. */
  command: string;
  /**
   * The category. It is one word on the wire: the encoder turns white space
   * into `_` and an empty name into `default`.
   */
  category?: string;
  /**
   * The resources the task holds on the worker; none means the whole
   * worker. On the wire cores have 3 decimals, and the encoder rounds
   * memory, disk and gpus up to whole numbers; the worker keeps whole
   * numbers (the integer part).
   */
  request: ResourceRequest;
  /** Longest run, in seconds. */
  wallTime?: number;
  /** Absolute deadline, in epoch seconds. */
  endTime?: number;
  /** Environment changes in order: a value sets, `undefined` unsets. */
  env: [string, string | undefined][];
  /** Inputs and empty directories, in declaration order. */
  inputs: TaskBlockInput[];
  /** Outputs. */
  outputs: TaskBlockFile[];
  /**
   * Protocol 11: the coprocess feature the task runs in
   * (`wq_worker_coprocess:<name>`), if any. Read, never sent by our manager.
   */
  coprocess?: string;
}

/** What {@linkcode encodeTaskBlock} takes: a block whose lists may be any iterables. */
export interface TaskBlockSource extends Omit<TaskBlock, "env" | "inputs" | "outputs"> {
  /** Environment changes, e.g. a `Map` of name to value. */
  env: Iterable<readonly [string, string | undefined]>;
  /** Inputs and empty directories, in declaration order. */
  inputs: Iterable<TaskBlockInput>;
  /** Outputs. */
  outputs: Iterable<TaskBlockFile>;
}

/** One line inside a task block, parsed (the bodies of `cmd` and `env` follow theirs). */
export type TaskBlockLine =
  | { kind: "cmd"; length: number }
  | { kind: "env"; length: number }
  /** Protocol 11: `coprocess <N>` and N bytes (no LF) naming the coprocess feature. */
  | { kind: "coprocess"; length: number }
  | { kind: "infile"; file: TaskBlockFile }
  | { kind: "outfile"; file: TaskBlockFile }
  | { kind: "dir"; remoteName: string }
  | { kind: "category"; name: string }
  | { kind: "resource"; name: ResourceKind; value: number }
  | { kind: "wall_time"; seconds: number }
  | { kind: "end_time"; epochSeconds: number }
  | { kind: "end" }
  /** A line the worker ignores (`feature …`, or anything new). */
  | { kind: "unknown"; line: string };

/** Options for {@linkcode readTaskBlock}. */
export interface ReadTaskBlockOptions {
  /** Longest command, in bytes. Default 16 MiB. */
  maxCommand?: number;
  /** Longest `env` entry, in bytes. Default 1 MiB. */
  maxEnv?: number;
  /** Called with each ignored line (for the debug log). */
  onUnknown?: (line: string) => void;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The UTF-8 length of a string, without encoding it when it is ASCII. */
function byteLength(s: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return encoder.encode(s).length;
  }
  return s.length;
}

let lastCategory = "default";
let lastCategoryField = "default";

/** The category as one word (most tasks share one, so the last is remembered). */
function categoryField(category: string): string {
  if (category !== lastCategory) {
    lastCategory = category;
    lastCategoryField = category.replace(/\s/g, "_") || "default";
  }
  return lastCategoryField;
}

/** The last request's lines: most blocks in a row ask for the same. */
const lastRequest: ResourceRequest & { text: string } = { cores: NaN, text: "" };

function requestLines(r: TaskBlockSource["request"]): string {
  const l = lastRequest;
  if (r.cores === l.cores && r.gpus === l.gpus && r.memory === l.memory && r.disk === l.disk) {
    return l.text;
  }
  let s = "";
  if (r.cores !== undefined) s += `cores ${r.cores.toFixed(3)}\n`;
  if (r.gpus !== undefined) s += `gpus ${Math.ceil(r.gpus)}\n`;
  if (r.memory !== undefined) s += `memory ${Math.ceil(r.memory)}\n`;
  if (r.disk !== undefined) s += `disk ${Math.ceil(r.disk)}\n`;
  [l.cores, l.gpus, l.memory, l.disk, l.text] = [r.cores, r.gpus, r.memory, r.disk, s];
  return s;
}

/**
 * The whole block, from `task <id>` to `end`, in the order the C manager
 * sends its lines: task, cmd, category, cores, gpus, memory, disk,
 * end_time, wall_time, env…, infile/dir… (in declaration order),
 * outfile…, end. Lines whose value is absent are left out.
 *
 * @param block The task.
 * @returns The text to send.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const text = encodeTaskBlock({
 *   id: 1,
 *   command: "cat in.txt",
 *   category: "default",
 *   request: { cores: 1, memory: 64 },
 *   env: new Map([["FOO", "bar"]]),
 *   inputs: [{ kind: "file", cachedName: "file-0-ab-in.txt", remoteName: "in.txt", flags: 1 }],
 *   outputs: [],
 * });
 * assert.equal(
 *   text,
 *   "task 1\ncmd 10\ncat in.txtcategory default\ncores 1.000\nmemory 64\n" +
 *     "env 7\nFOO=bar\ninfile file-0-ab-in.txt in.txt 1\nend\n",
 * );
 * ```
 */
export function encodeTaskBlock(block: TaskBlockSource): string {
  const cmd = block.command;
  let s = `task ${block.id}\ncmd ${byteLength(cmd)}\n${cmd}`;
  if (block.category !== undefined) s += `category ${categoryField(block.category)}\n`;
  s += requestLines(block.request);
  if (block.endTime !== undefined) s += `end_time ${block.endTime.toFixed(6)}\n`;
  if (block.wallTime !== undefined) s += `wall_time ${block.wallTime.toFixed(6)}\n`;
  for (const [name, value] of block.env) {
    const kv = value === undefined ? name : `${name}=${value}`;
    s += `env ${byteLength(kv)}\n${kv}\n`;
  }
  for (const i of block.inputs) {
    s += i.kind === "dir"
      ? `dir ${i.remoteName}\n`
      : `infile ${i.cachedName} ${urlEncode(i.remoteName)} ${i.flags}\n`;
  }
  for (const o of block.outputs) {
    s += `outfile ${o.cachedName} ${urlEncode(o.remoteName)} ${o.flags}\n`;
  }
  return s + "end\n";
}

/**
 * Parses one line inside a task block. Unsafe names and malformed values
 * are errors; lines the worker has no use for come back as `unknown`.
 *
 * @param line The line, without its LF.
 * @returns What it says.
 * @throws {ProtocolError} On a malformed line or an unsafe name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseTaskBlockLine("infile buffer-2-7f2d my%20buf.txt 0"), {
 *   kind: "infile",
 *   file: { cachedName: "buffer-2-7f2d", remoteName: "my buf.txt", flags: 0 },
 * });
 * assert.deepEqual(parseTaskBlockLine("cores 1.000"), { kind: "resource", name: "cores", value: 1 });
 * ```
 */
export function parseTaskBlockLine(line: string): TaskBlockLine {
  if (line === "end") return END;
  const w = line.split(" ");
  switch (w[0]) {
    case "cmd":
      return { kind: "cmd", length: parseLength(w[1], "command length", line) };
    case "env":
      return { kind: "env", length: parseLength(w[1], "env length", line) };
    case "coprocess":
      return { kind: "coprocess", length: parseLength(w[1], "coprocess length", line) };
    case "infile":
    case "outfile":
      return { kind: w[0], file: parseFileLine(w, line) };
    case "dir": {
      // Not URL-encoded by the manager (CCTools reads it with %s).
      const remoteName = w[1] ?? "";
      checkRemote(remoteName, line);
      return { kind: "dir", remoteName };
    }
    case "category":
      return { kind: "category", name: w.slice(1).join(" ") };
    case "cores":
    case "memory":
    case "disk":
    case "gpus":
      return {
        kind: "resource",
        name: w[0],
        value: Math.trunc(parseDecimalField(w[1], w[0], line)),
      };
    case "wall_time":
      return { kind: "wall_time", seconds: parseDecimalField(w[1], "wall time", line) };
    case "end_time":
      return { kind: "end_time", epochSeconds: parseDecimalField(w[1], "end time", line) };
    default:
      return { kind: "unknown", line };
  }
}

const END: TaskBlockLine = Object.freeze({ kind: "end" });

/**
 * Reads the lines after `task <id>` up to and including `end`, with the
 * bodies of `cmd` and `env`. Unknown lines are passed to `onUnknown` and
 * otherwise ignored.
 *
 * @param reader The connection's reader, positioned after the `task` line.
 * @param id The task id from the `task` line.
 * @param options Bounds on the bodies, and what to do with unknown lines.
 * @returns The task.
 * @throws {ProtocolError} On a malformed line, an unsafe name, a block
 * without `cmd`, or an early end of stream.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LineReader } from "./line_reader.ts";
 * const bytes = new TextEncoder().encode("cmd 4\ntruecores 1.000\nend\n");
 * let sent = false;
 * const reader = new LineReader({
 *   read(p: Uint8Array) {
 *     if (sent) return Promise.resolve(null);
 *     sent = true;
 *     p.set(bytes);
 *     return Promise.resolve(bytes.length);
 *   },
 * });
 * const block = await readTaskBlock(reader, 7);
 * assert.equal(block.command, "true");
 * assert.deepEqual(block.request, { cores: 1 });
 * ```
 */
export async function readTaskBlock(
  reader: LineReader,
  id: number,
  options: ReadTaskBlockOptions = {},
): Promise<TaskBlock> {
  const block: TaskBlock = { id, command: "", env: [], inputs: [], outputs: [], request: {} };
  let sawCmd = false;
  for (;;) {
    const line = await reader.readLine();
    if (line === null) {
      throw new ProtocolError(`Cannot read task ${id}: the stream ended before 'end'`);
    }
    const l = parseTaskBlockLine(line);
    if (l.kind === "end") break;
    switch (l.kind) {
      case "cmd":
        block.command = decoder.decode(
          await reader.readExact(l.length, options.maxCommand ?? 16 << 20),
        );
        sawCmd = true;
        break;
      case "env": {
        const body = await reader.readExact(l.length + 1, (options.maxEnv ?? 1 << 20) + 1);
        block.env.push(parseEnvEntry(decoder.decode(body.subarray(0, l.length)), id));
        break;
      }
      case "coprocess":
        block.coprocess = decoder.decode(await reader.readExact(l.length, 4096));
        break;
      case "infile":
        block.inputs.push({ kind: "file", ...l.file });
        break;
      case "outfile":
        block.outputs.push(l.file);
        break;
      case "dir":
        block.inputs.push({ kind: "dir", remoteName: l.remoteName });
        break;
      case "category":
        block.category = l.name;
        break;
      case "resource":
        block.request[l.name] = l.value;
        break;
      case "wall_time":
        block.wallTime = l.seconds;
        break;
      case "end_time":
        block.endTime = l.epochSeconds;
        break;
      case "unknown":
        options.onUnknown?.(l.line);
        break;
    }
  }
  if (!sawCmd) throw new ProtocolError(`Cannot run task ${id}: it has no 'cmd' line`);
  return block;
}

/**
 * Parses the body of an `env` line: `NAME=VALUE` sets, a bare `NAME` unsets.
 *
 * @param text The body, without its LF.
 * @param id The task id, for the error.
 * @returns The name and the value (`undefined`: unset).
 * @throws {ProtocolError} If the name is empty or holds a NUL.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseEnvEntry("A=b=c", 1), ["A", "b=c"]);
 * assert.deepEqual(parseEnvEntry("HOME", 1), ["HOME", undefined]);
 * ```
 */
export function parseEnvEntry(text: string, id: number): [string, string | undefined] {
  const eq = text.indexOf("=");
  const name = eq < 0 ? text : text.slice(0, eq);
  if (name === "" || name.includes("\0")) {
    throw new ProtocolError(`Cannot set environment of task ${id}: bad entry '${clip(text)}'`);
  }
  return [name, eq < 0 ? undefined : text.slice(eq + 1)];
}

function parseLength(field: string | undefined, what: string, line: string): number {
  const n = parseIntField(field, what, line);
  if (n < 0) throw new ProtocolError(`Cannot parse ${what} in '${clip(line)}': it is negative`);
  return n;
}

function parseFileLine(w: string[], line: string): TaskBlockFile {
  if (w.length < 3) {
    throw new ProtocolError(`Cannot parse file line '${clip(line)}': too few fields`);
  }
  const cachedName = w[1];
  const problem = cacheNameProblem(cachedName);
  if (problem) {
    throw new ProtocolError(
      `Cannot use cache name '${clip(cachedName)}' in '${clip(line)}': ${problem}`,
    );
  }
  const remoteName = urlDecode(w[2]);
  checkRemote(remoteName, line);
  const flags = w[3] === undefined ? 0 : parseIntField(w[3], "flags", line);
  return { cachedName, remoteName, flags };
}

function checkRemote(name: string, line: string): void {
  const problem = remoteNameProblem(name);
  if (problem) {
    throw new ProtocolError(
      `Cannot use remote name '${clip(name)}' in '${clip(line)}': ${problem}`,
    );
  }
}
