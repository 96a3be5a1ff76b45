/**
 * A task's files: the specs a `Task` keeps for its inputs and outputs, the
 * plain objects its constructor takes for them, and the checks every file
 * passes, whichever way it was declared.
 *
 * @module
 */

import { MAX_LINE, remoteNameProblem, urlEncode } from "./wire/protocol.ts";

/** Options shared by the file methods of `Task`. */
export interface FileOptions {
  /**
   * Keep the file in the worker's cache so that later tasks reuse it without
   * sending it again. Default `true` for inputs, `false` for outputs.
   */
  cache?: boolean;
}

/** Options of `Task.specifyOutputFile`. */
export interface OutputFileOptions extends FileOptions {
  /**
   * Stream the file back while the task runs: the worker sends what the
   * task appended (about once a second from our worker, every few seconds
   * from CCTools'), and the manager writes it into the local file, which
   * grows as the remote one does. When the task ends, the whole file is
   * fetched as usual and replaces it. CCTools' `WORK_QUEUE_WATCH`. Default
   * `false`.
   */
  watch?: boolean;
}

/** Options of `Task.specifyDirectory`. */
export interface DirectoryOptions extends FileOptions {
  /** Whether the directory is an input (sent) or an output (fetched back). */
  type: "input" | "output";
  /**
   * For inputs: send the whole tree (`true`), or only create an empty
   * directory in the sandbox (`false`, the default, as in CCTools). Outputs
   * always come back whole.
   */
  recursive?: boolean;
}

/** One input of a task. */
export type InputSpec =
  | { kind: "file"; local: string; remote: string; cache: boolean }
  | { kind: "buffer"; data: Uint8Array; remote: string; cache: boolean }
  | { kind: "emptydir"; remote: string }
  | { kind: "url"; url: string; remote: string; cache: boolean }
  | { kind: "command"; command: string; remote: string; cache: boolean };

/** One output of a task (a file, or a directory fetched recursively). */
export interface OutputSpec {
  /** Where it lands on the manager's machine. */
  local: string;
  /** Its name in the task's sandbox. */
  remote: string;
  /** Keep it in the worker's cache after retrieval. */
  cache: boolean;
  /** Streamed back while the task runs (`WORK_QUEUE_WATCH`); present only when set. */
  watch?: true;
}

/**
 * One input, as the `inputs` option of `new Task({...})` takes it: exactly
 * one of `local` (a file or a directory tree), `buffer` (literal data) or
 * `directory`.
 */
export type TaskInput =
  | {
    /** A file (or a whole directory tree) on the manager's machine. */
    local: string;
    /** Its name in the sandbox; default its base name. */
    remote?: string;
    /** Keep it in the worker's cache (default `true`). */
    cache?: boolean;
    buffer?: never;
    directory?: never;
    recursive?: never;
    url?: never;
    command?: never;
  }
  | {
    /** The file's contents: text (written as UTF-8) or bytes, copied at once. */
    buffer: string | Uint8Array;
    /** Its name in the sandbox. */
    remote: string;
    /** Keep it in the worker's cache (default `true`: identical buffers go once per worker). */
    cache?: boolean;
    local?: never;
    directory?: never;
    recursive?: never;
    url?: never;
    command?: never;
  }
  | {
    /** A directory on the manager's machine. */
    directory: string;
    /** Its name in the sandbox; default its base name. */
    remote?: string;
    /** Keep it in the worker's cache (default `true`). */
    cache?: boolean;
    /** Send the whole tree (`true`, the default), or only make an empty directory (`false`). */
    recursive?: boolean;
    local?: never;
    buffer?: never;
    url?: never;
    command?: never;
  }
  | MadeTaskInput<"url">
  | MadeTaskInput<"command">;

/**
 * An item of `inputs` the worker makes: `{ url, remote }` (it fetches the
 * URL, streaming it to disk) or `{ command, remote }` (it runs the shell
 * command, in which `%%` stands for the path of the file to create).
 */
export type MadeTaskInput<K extends "url" | "command"> =
  & { [k in K]: string }
  & { [k in Exclude<"url" | "command", K>]?: never }
  & {
    /** Its name in the sandbox. */
    remote: string;
    /** Keep it in the worker's cache (default `true`: made once per worker). */
    cache?: boolean;
    local?: never;
    buffer?: never;
    directory?: never;
    recursive?: never;
  };

/**
 * One output, as the `outputs` option of `new Task({...})` takes it:
 * exactly one of `local` (a file) or `directory` (brought back whole).
 */
export type TaskOutput =
  | {
    /** Where the file lands on the manager's machine. */
    local: string;
    /** Its name in the sandbox; default the base name of `local`. */
    remote?: string;
    /** Keep it in the worker's cache too (default `false`). */
    cache?: boolean;
    /** Append to `local` while the task runs (default `false`); see `OutputFileOptions`. */
    watch?: boolean;
    directory?: never;
  }
  | {
    /** Where the directory lands on the manager's machine. */
    directory: string;
    /** Its name in the sandbox; default the base name of `directory`. */
    remote?: string;
    /** Keep it in the worker's cache too (default `false`). */
    cache?: boolean;
    local?: never;
    watch?: never;
  };

const encoder = new TextEncoder();

function checkRemote(what: string, remote: string): void {
  if (typeof remote !== "string") {
    throw new TypeError(`Cannot add ${what}: remote name must be a string, got ${typeof remote}`);
  }
  const problem = remoteNameProblem(remote);
  if (problem) {
    throw new TypeError(`Cannot add ${what}: remote name '${remote}' is unsafe because ${problem}`);
  }
}

function checkLocal(what: string, local: string): void {
  if (typeof local !== "string" || local.length === 0) {
    throw new TypeError(
      `Cannot add ${what}: local name must be a non-empty string, got '${String(local)}'`,
    );
  }
  if (local.includes("\0")) {
    throw new TypeError(`Cannot add ${what}: local name '${local}' contains a NUL byte`);
  }
}

function basename(path: string): string {
  const parts = path.split("/").filter((p) => p !== "" && p !== ".");
  return parts.at(-1) ?? path;
}

/** Where a file goes in the sandbox, and whether the worker caches it. */
export interface FilePlacement {
  /** Its name in the sandbox; default the base name of the local path. */
  remote?: string;
  /** Whether the worker keeps it in its cache (default `true` for inputs, `false` for outputs). */
  cache?: boolean;
}

/** Where an output comes from, whether the worker caches it, and whether it is watched. */
export interface OutputPlacement extends FilePlacement {
  /** Stream it back while the task runs (default `false`). */
  watch?: boolean;
}

/**
 * An input file (or directory tree), its local name checked.
 *
 * @param local The path on the manager's machine.
 * @param place Its remote name and caching.
 * @returns The spec; its remote name is checked by {@linkcode addInput}.
 * @throws {TypeError} If the local name is empty or has a NUL byte.
 */
export function inputFile(local: string, place: FilePlacement = {}): InputSpec {
  checkLocal("input file", local);
  return {
    kind: "file",
    local,
    remote: place.remote ?? basename(local),
    cache: place.cache ?? true,
  };
}

/**
 * An input buffer: the data, copied.
 *
 * @param data Text (UTF-8) or bytes.
 * @param place Its remote name (required) and caching.
 * @returns The spec; its remote name is checked by {@linkcode addInput}.
 * @throws {TypeError} If the data is neither a string nor a `Uint8Array`.
 */
export function inputBuffer(
  data: string | Uint8Array,
  place: FilePlacement & { remote: string },
): InputSpec {
  if (typeof data !== "string" && !(data instanceof Uint8Array)) {
    throw new TypeError(
      `Cannot add input buffer: data must be a string or Uint8Array, got ${typeof data}`,
    );
  }
  const bytes = typeof data === "string" ? encoder.encode(data) : data.slice();
  return { kind: "buffer", data: bytes, remote: place.remote, cache: place.cache ?? true };
}

/**
 * The longest URL or command, URL-encoded, that fits a `puturl`/`putcmd`
 * line with its cache name (4096 bytes in all).
 */
const MAX_SOURCE = MAX_LINE - 128;

/** Checks the text of a URL or command input: a non-empty string, one line, short enough. */
function checkSource(what: string, text: unknown): asserts text is string {
  if (typeof text !== "string" || text.length === 0) {
    throw new TypeError(`Cannot add ${what}: it must be a non-empty string, got '${String(text)}'`);
  }
  if (/[\r\n\0]/.test(text)) {
    throw new TypeError(`Cannot add ${what}: '${clipped(text)}' holds a line break or NUL byte`);
  }
  const length = urlEncode(text).length;
  if (length > MAX_SOURCE) {
    throw new RangeError(
      `Cannot add ${what}: it is ${length} bytes URL-encoded, over the ${MAX_SOURCE} a protocol line holds`,
    );
  }
}

function clipped(text: string): string {
  const one = text.replace(/[\r\n\0]/g, " ");
  return one.length > 60 ? `${one.slice(0, 57)}...` : one;
}

/**
 * An input the worker fetches from a URL.
 *
 * @param url The URL (`http:`, `https:`, or whatever the worker's fetcher takes).
 * @param place Its remote name (required) and caching.
 * @returns The spec; its remote name is checked by {@linkcode addInput}.
 * @throws {TypeError} If the URL is not a non-empty one-line string.
 * @throws {RangeError} If it is too long for a protocol line.
 */
export function inputUrl(url: string, place: FilePlacement & { remote: string }): InputSpec {
  checkSource("input URL", url);
  return { kind: "url", url, remote: place.remote, cache: place.cache ?? true };
}

/**
 * An input the worker makes with a shell command, in which `%%` stands for
 * the path of the file to create.
 *
 * @param command The command.
 * @param place Its remote name (required) and caching.
 * @returns The spec; its remote name is checked by {@linkcode addInput}.
 * @throws {TypeError} If the command is not a one-line string holding `%%`.
 * @throws {RangeError} If it is too long for a protocol line.
 */
export function inputCommand(
  command: string,
  place: FilePlacement & { remote: string },
): InputSpec {
  checkSource("input command", command);
  if (!command.includes("%%")) {
    throw new TypeError(
      `Cannot add input command: '${clipped(command)}' has no '%%' to stand for the file it makes`,
    );
  }
  return { kind: "command", command, remote: place.remote, cache: place.cache ?? true };
}

/**
 * An empty input directory.
 *
 * @param local The path on the manager's machine (it names the directory).
 * @param place Its remote name.
 * @returns The spec; its remote name is checked by {@linkcode addInput}.
 * @throws {TypeError} If the local name is empty or has a NUL byte.
 */
export function emptyDirectory(local: string, place: FilePlacement = {}): InputSpec {
  checkLocal("directory", local);
  return { kind: "emptydir", remote: place.remote ?? basename(local) };
}

/**
 * An output file (or directory), its local name checked.
 *
 * @param local Where it lands on the manager's machine.
 * @param place Its remote name, caching and watching.
 * @returns The spec; its remote name is checked by {@linkcode addOutput}.
 * @throws {TypeError} If the local name is empty or has a NUL byte, or
 * `watch` is not a boolean.
 */
export function outputFile(local: string, place: OutputPlacement = {}): OutputSpec {
  checkLocal("output file", local);
  const watch = place.watch ?? false;
  if (typeof watch !== "boolean") {
    throw new TypeError(
      `Cannot add output file: watch must be true or false, got ${typeof watch} '${String(watch)}'`,
    );
  }
  const spec: OutputSpec = {
    local,
    remote: place.remote ?? basename(local),
    cache: place.cache ?? false,
  };
  if (watch) spec.watch = true;
  return spec;
}

/** How messages name each kind of input. */
const INPUT_WHAT: Record<InputSpec["kind"], string> = {
  file: "input file",
  buffer: "input buffer",
  emptydir: "directory",
  url: "input URL",
  command: "input command",
};

/**
 * Adds an input to a task's list, checking that its remote name is safe and
 * not taken.
 *
 * @param list The task's inputs so far (`undefined`: none yet).
 * @param spec The new input.
 * @returns The list, with the input at its end.
 * @throws {TypeError} If the remote name is unsafe or already an input.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const list = addInput(undefined, inputFile("/data/in.txt"));
 * assert.deepEqual(list, [{ kind: "file", local: "/data/in.txt", remote: "in.txt", cache: true }]);
 * assert.throws(() => addInput(list, inputBuffer("x", { remote: "in.txt" })), {
 *   message: "Cannot add input buffer: remote name 'in.txt' is already an input of this task",
 * });
 * ```
 */
export function addInput(list: InputSpec[] | undefined, spec: InputSpec): InputSpec[] {
  const what = INPUT_WHAT[spec.kind];
  checkRemote(what, spec.remote);
  if (list?.some((i) => i.remote === spec.remote)) {
    throw new TypeError(
      `Cannot add ${what}: remote name '${spec.remote}' is already an input of this task`,
    );
  }
  (list ??= []).push(spec);
  return list;
}

/**
 * Adds an output to a task's list, checking that its remote name is safe
 * and not taken.
 *
 * @param list The task's outputs so far (`undefined`: none yet).
 * @param spec The new output.
 * @returns The list, with the output at its end.
 * @throws {TypeError} If the remote name is unsafe or already an output.
 */
export function addOutput(list: OutputSpec[] | undefined, spec: OutputSpec): OutputSpec[] {
  checkRemote("output file", spec.remote);
  if (list?.some((o) => o.remote === spec.remote)) {
    throw new TypeError(
      `Cannot add output file: remote name '${spec.remote}' is already an output of this task`,
    );
  }
  (list ??= []).push(spec);
  return list;
}
