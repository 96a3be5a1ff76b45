/**
 * The `task <id>` … `end` block of protocol 9, read into a {@linkcode TaskSpec}.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import type { LineReader } from "../wire/line_reader.ts";
import {
  cacheNameProblem,
  clip,
  parseIntField,
  remoteNameProblem,
  urlDecode,
} from "../wire/protocol.ts";
import type { ResourceRequest } from "./resources.ts";

/** One thing placed in the sandbox before the task runs. */
export type TaskInput =
  /** A cache entry (file or tree) linked in as `remoteName`. */
  | { kind: "file"; cachedName: string; remoteName: string; flags: number }
  /** An empty directory made as `remoteName`. */
  | { kind: "dir"; remoteName: string };

/** One output renamed from the sandbox into the cache after the task ends. */
export interface TaskOutput {
  /** The cache name (used raw, as CCTools does). */
  cachedName: string;
  /** The path in the sandbox (URL-decoded). */
  remoteName: string;
  /** The flags field, kept for logging. */
  flags: number;
}

/** A task as the manager described it. */
export interface TaskSpec {
  /** The manager's task id. */
  id: number;
  /** The shell command. */
  command: string;
  /** Environment changes in order: a value sets, `undefined` unsets. */
  env: [string, string | undefined][];
  /** Inputs and empty directories, in declaration order. */
  inputs: TaskInput[];
  /** Outputs. */
  outputs: TaskOutput[];
  /** The category name, if sent. */
  category?: string;
  /** Resources asked for; absent when the manager sent none. */
  request: ResourceRequest;
  /** Longest run, in seconds. */
  wallTime?: number;
  /** Absolute deadline, in epoch seconds. */
  endTime?: number;
}

/** Bounds on the bodies in a task block. */
export interface TaskSpecLimits {
  /** Longest command, in bytes. Default 16 MiB. */
  maxCommand?: number;
  /** Longest `env` entry, in bytes. Default 1 MiB. */
  maxEnv?: number;
}

const decoder = new TextDecoder();

/**
 * Reads the lines after `task <id>` up to and including `end`. Unknown lines
 * are ignored; unsafe names and malformed lines are protocol errors.
 *
 * @param reader The connection's reader, positioned after the `task` line.
 * @param id The task id from the `task` line.
 * @param limits Bounds on the command and environment bodies.
 * @param onUnknown Called with each ignored line (for the debug log).
 * @returns The task.
 * @throws {ProtocolError} On a malformed line, unsafe name or early end of stream.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LineReader } from "../wire/line_reader.ts";
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
 * const spec = await readTaskSpec(reader, 7);
 * assert.equal(spec.command, "true");
 * assert.equal(spec.request.cores, 1);
 * ```
 */
export async function readTaskSpec(
  reader: LineReader,
  id: number,
  limits: TaskSpecLimits = {},
  onUnknown: (line: string) => void = () => {},
): Promise<TaskSpec> {
  const spec: TaskSpec = { id, command: "", env: [], inputs: [], outputs: [], request: {} };
  let sawCmd = false;
  for (;;) {
    const line = await reader.readLine();
    if (line === null) {
      throw new ProtocolError(`Cannot read task ${id}: the stream ended before 'end'`);
    }
    if (line === "end") break;
    const w = line.split(" ");
    switch (w[0]) {
      case "cmd": {
        const n = parseIntField(w[1], "command length", line);
        spec.command = decoder.decode(await reader.readExact(n, limits.maxCommand ?? 16 << 20));
        sawCmd = true;
        break;
      }
      case "env": {
        const n = parseIntField(w[1], "env length", line);
        const body = await reader.readExact(n + 1, (limits.maxEnv ?? 1 << 20) + 1);
        spec.env.push(parseEnvEntry(decoder.decode(body.subarray(0, n)), id));
        break;
      }
      case "infile":
      case "outfile": {
        const file = parseFileLine(w, line);
        if (w[0] === "infile") spec.inputs.push({ kind: "file", ...file });
        else spec.outputs.push(file);
        break;
      }
      case "dir": {
        // Not URL-encoded by the manager (CCTools reads it with %s).
        const remoteName = w[1] ?? "";
        checkRemote(remoteName, line);
        spec.inputs.push({ kind: "dir", remoteName });
        break;
      }
      case "category":
        spec.category = w.slice(1).join(" ");
        break;
      case "cores":
      case "memory":
      case "disk":
      case "gpus":
        spec.request[w[0]] = parseNumberField(w[1], w[0], line);
        break;
      case "wall_time":
        spec.wallTime = parseNumberField(w[1], "wall time", line, false);
        break;
      case "end_time":
        spec.endTime = parseNumberField(w[1], "end time", line, false);
        break;
      default:
        onUnknown(line);
    }
  }
  if (!sawCmd) throw new ProtocolError(`Cannot run task ${id}: it has no 'cmd' line`);
  return spec;
}

/** `NAME=VALUE` sets; a bare `NAME` unsets. */
function parseEnvEntry(text: string, id: number): [string, string | undefined] {
  const eq = text.indexOf("=");
  const name = eq < 0 ? text : text.slice(0, eq);
  if (name === "" || name.includes("\0")) {
    throw new ProtocolError(`Cannot set environment of task ${id}: bad entry '${clip(text)}'`);
  }
  return [name, eq < 0 ? undefined : text.slice(eq + 1)];
}

function parseFileLine(w: string[], line: string): TaskOutput {
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

/** A decimal number; `integer` keeps only the integer part, as CCTools' `%d`. */
function parseNumberField(
  field: string | undefined,
  what: string,
  line: string,
  integer = true,
): number {
  if (field === undefined || !/^-?\d+(\.\d*)?$/.test(field)) {
    throw new ProtocolError(`Cannot parse ${what} in '${clip(line)}': got '${clip(field ?? "")}'`);
  }
  return integer ? Math.trunc(Number(field)) : Number(field);
}
