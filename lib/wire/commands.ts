/**
 * The commands a manager sends a worker (spec §4), one header line each.
 * The worker reads them one at a time with {@linkcode parseCommand}; the
 * manager writes them with {@linkcode encodeCommand}, except the `task`
 * block (`task_block.ts`), and the bodies of uploads (`files.ts`).
 *
 * ```
 * task <id>                     the task block follows, up to `end`
 * put <urlenc name> <len> <mode>  / dir <urlenc name>   uploads (files.ts)
 * get <name> <recursive>        the reply is a files.ts get stream
 * send_results -1               the reply is a results.ts stream
 * kill <id>                     -1: every task
 * unlink <name>
 * check   release   exit
 * url <name> <len> <mode> <flags>   protocol 9: <len> bytes of URL follow
 * thirdget 1 <name> <command>       protocol 9: a command that makes the input (%% is its path)
 * puturl <urlenc url> <urlenc name> <size> <mode>      protocol 11
 * putcmd <urlenc command> <urlenc name> <size> <mode>  protocol 11
 * thirdput …  invalidate-file …  tlq …   auth …
 * wq-deno-fastpath <version>    ours, only to our worker that offered it (fast_path.ts)
 * ```
 *
 * `url`, `thirdget`, `puturl` and `putcmd` name an input the worker makes
 * itself, lazily, when a task that lists it is about to run. Protocol 9
 * has only the first two, protocol 11 only the last two: a worker of one
 * dialect drops the connection on the other's.
 *
 * The names of `get` and `unlink` are URL-decoded by the worker, as those
 * of uploads; our manager's cache names never need encoding, so the
 * encoded and raw forms are the same bytes.
 *
 * @module
 */

import { ProtocolError } from "../errors.ts";
import { encodeUploadEntry, parseUploadEntry, type UploadEntry } from "./files.ts";
import { encodeFastPathAnswer, FAST_PATH_FIELD, parseFastPathAnswer } from "./fast_path.ts";
import {
  cacheNameProblem,
  clip,
  formatMode,
  parseIntField,
  parseMode,
  urlDecode,
  urlEncode,
} from "./protocol.ts";

/** A command from the manager, parsed. */
export type Command =
  /** A task block follows (read it with `readTaskBlock`). */
  | { kind: "task"; id: number }
  /** An upload into the cache: a file (its body follows) or a directory stream. */
  | Extract<UploadEntry, { kind: "put" | "dir" }>
  /**
   * Protocol 9: a URL to download into the cache. `length` bytes of URL
   * follow; the name is not decoded (as CCTools' worker).
   */
  | { kind: "url"; name: string; length: number; mode: number; flags: number }
  /**
   * Protocol 9: an input made by a shared file system (`mode` 2 copy, 3
   * symlink) or, with `mode` 1, by a shell command in which `%%` stands for
   * the file to create. `path` is the rest of the line, not encoded.
   */
  | { kind: "thirdget"; mode: number; name: string; path: string }
  /** Protocol 11: a URL the worker downloads into the cache (both fields decoded). */
  | { kind: "puturl"; url: string; name: string; size: number; mode: number }
  /** Protocol 11: a shell command that makes the cache entry, `%%` standing for its path. */
  | { kind: "putcmd"; command: string; name: string; size: number; mode: number }
  /** Send a cache entry back (recursively unless the flag is `0`). */
  | { kind: "get"; name: string; recursive: boolean }
  /** Send every finished task's result (the count field is ignored, as CCTools does). */
  | { kind: "send_results" }
  /** Forget a task (kill it if running); `-1` means every task. */
  | { kind: "kill"; id: number }
  /** Delete a cache entry. */
  | { kind: "unlink"; name: string }
  /** Keepalive: answer `alive`. */
  | { kind: "check" }
  /** Disconnect and reconnect. */
  | { kind: "release" }
  /** Disconnect and exit. */
  | { kind: "exit" }
  /** Shared-file-system output: answer `thirdput-complete 0`. */
  | { kind: "thirdput" }
  /** Commands a plain worker accepts and ignores. */
  | { kind: "ignored"; keyword: "invalidate-file" | "tlq" }
  /** The manager wants a password. */
  | { kind: "auth" }
  /** Ours: the fast path is on (`fast_path.ts`); only our worker that offered it gets this. */
  | { kind: "fast_path"; version: number };

/** The commands our manager sends (the others are only read). */
export type SentCommand = Extract<
  Command,
  {
    kind:
      | "task"
      | "put"
      | "dir"
      | "url"
      | "thirdget"
      | "puturl"
      | "putcmd"
      | "get"
      | "send_results"
      | "kill"
      | "unlink"
      | "check"
      | "release"
      | "exit"
      | "fast_path";
  }
>;

/**
 * The line of a command (without the body of a `put` or a `url`, the
 * entries of a `dir`, or the rest of a `task` block).
 *
 * @param c The command.
 * @returns The line, with its LF.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(encodeCommand({ kind: "get", name: "file-3-00ba-out.txt", recursive: true }), "get file-3-00ba-out.txt 1\n");
 * assert.equal(encodeCommand({ kind: "send_results" }), "send_results -1\n");
 * assert.equal(
 *   encodeCommand({ kind: "putcmd", command: "echo hi > %%", name: "cmd-0-ab", size: 0, mode: 0o777 }),
 *   "putcmd echo%20hi%20%3E%20%25%25 cmd-0-ab 0 777\n",
 * );
 * ```
 * @throws {TypeError} If a `thirdget` path holds a line break.
 */
export function encodeCommand(c: SentCommand): string {
  switch (c.kind) {
    case "task":
      return `task ${c.id}\n`;
    case "put":
    case "dir":
      return encodeUploadEntry(c);
    case "url":
      return `url ${c.name} ${c.length} ${formatMode(c.mode)} ${c.flags}\n`;
    case "thirdget":
      if (/[\r\n]/.test(c.path)) {
        throw new TypeError(`Cannot send command '${clip(c.path)}': it holds a line break`);
      }
      return `thirdget ${c.mode} ${c.name} ${c.path}\n`;
    case "puturl":
      return `puturl ${urlEncode(c.url)} ${urlEncode(c.name)} ${c.size} ${c.mode.toString(8)}\n`;
    case "putcmd":
      return `putcmd ${urlEncode(c.command)} ${urlEncode(c.name)} ${c.size} ${
        c.mode.toString(8)
      }\n`;
    case "get":
      return `get ${urlEncode(c.name)} ${c.recursive ? 1 : 0}\n`;
    case "send_results":
      return "send_results -1\n";
    case "kill":
      return `kill ${c.id}\n`;
    case "unlink":
      return `unlink ${urlEncode(c.name)}\n`;
    case "check":
    case "release":
    case "exit":
      return `${c.kind}\n`;
    case "fast_path":
      return encodeFastPathAnswer(c.version);
  }
}

/**
 * Parses a command line. Names are decoded and must be one path component.
 *
 * @param line The line, without its LF.
 * @returns The command.
 * @throws {ProtocolError} If the command is unknown or malformed, or a name is unsafe.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseCommand("kill -1"), { kind: "kill", id: -1 });
 * assert.deepEqual(parseCommand("unlink buffer-2-7f2d"), { kind: "unlink", name: "buffer-2-7f2d" });
 * assert.throws(() => parseCommand("bogus 1 2 3"));
 * ```
 */
export function parseCommand(line: string): Command {
  const w = line.split(" ");
  switch (w[0]) {
    case "task":
      return { kind: "task", id: parseIntField(w[1], "task id", line) };
    case "put":
    case "dir":
      return parseUploadEntry(line) as Extract<UploadEntry, { kind: "put" | "dir" }>;
    case "url":
      return {
        kind: "url",
        name: cacheName(w[1], line),
        length: parseIntField(w[2], "url length", line),
        mode: w[3] === undefined ? 0o777 : parseMode(w[3], line),
        flags: w[4] === undefined ? 0 : parseIntField(w[4], "url flags", line),
      };
    case "thirdget":
      return {
        kind: "thirdget",
        mode: parseIntField(w[1], "thirdget mode", line),
        name: cacheName(w[2], line),
        path: w.slice(3).join(" "),
      };
    case "puturl":
    case "putcmd":
      return parseMadeInput(w, line);
    case "get":
      return { kind: "get", name: cacheName(w[1], line), recursive: w[2] !== "0" };
    case "send_results":
      return SEND_RESULTS;
    case "kill":
      return { kind: "kill", id: parseIntField(w[1], "task id", line) };
    case "unlink":
      return { kind: "unlink", name: cacheName(w[1], line) };
    case "check":
      return CHECK;
    case "release":
      return RELEASE;
    case "exit":
      return EXIT;
    case "thirdput":
      return THIRDPUT;
    case "invalidate-file":
    case "tlq":
      return { kind: "ignored", keyword: w[0] };
    case "auth":
      return AUTH;
    case FAST_PATH_FIELD:
      return { kind: "fast_path", version: parseFastPathAnswer(line) };
    default:
      throw new ProtocolError(`Cannot handle manager message '${clip(line)}': unknown command`);
  }
}

const SEND_RESULTS: Command = Object.freeze({ kind: "send_results" });
const CHECK: Command = Object.freeze({ kind: "check" });
const RELEASE: Command = Object.freeze({ kind: "release" });
const EXIT: Command = Object.freeze({ kind: "exit" });
const THIRDPUT: Command = Object.freeze({ kind: "thirdput" });
const AUTH: Command = Object.freeze({ kind: "auth" });

/** A decoded cache name, one path component. */
function cacheName(field: string | undefined, line: string): string {
  const name = urlDecode(field ?? "");
  const problem = cacheNameProblem(name);
  if (problem) {
    throw new ProtocolError(`Cannot use cache name '${clip(name)}' in '${clip(line)}': ${problem}`);
  }
  return name;
}

/** `puturl`/`putcmd <urlenc source> <urlenc name> <size> <mode>`. */
function parseMadeInput(w: string[], line: string): Command {
  if (w.length < 5) {
    throw new ProtocolError(`Cannot parse '${clip(line)}': expected 4 fields`);
  }
  const source = urlDecode(w[1]);
  const name = cacheName(w[2], line);
  const size = parseIntField(w[3], `${w[0]} size`, line);
  const mode = parseMode(w[4], line);
  return w[0] === "puturl"
    ? { kind: "puturl", url: source, name, size, mode }
    : { kind: "putcmd", command: source, name, size, mode };
}
