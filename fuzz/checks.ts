/**
 * What counts as a finding: an unexpected error class, a crash-looking log
 * line, a file written where it must not be.
 *
 * @module
 */

import { dirname, resolve } from "node:path";
import { ConnectionClosedError, ProtocolError } from "../lib/errors.ts";
import { ESCAPE_MARK, TRAP_DIR } from "./mutate.ts";

/** One problem the fuzzer found. */
export interface Finding {
  /** `parsers:<sub>`, `manager` or `worker`. */
  target: string;
  /** The case index (replay with `--target T --case N --seed S`). */
  index: number;
  /** What went wrong. */
  what: string;
  /** The mutations applied, and any excerpt of a log. */
  detail?: string;
}

/**
 * Whether an error is a clean refusal of bad input: a protocol error or the
 * peer going away.
 *
 * @param e The error.
 * @returns `true` for `ProtocolError` and `ConnectionClosedError`.
 */
export function isRefusal(e: unknown): boolean {
  return e instanceof ProtocolError || e instanceof ConnectionClosedError;
}

/**
 * Describes an error for a finding: class, message and the top of its stack.
 *
 * @param e The error.
 * @returns A few lines.
 */
export function describeError(e: unknown): string {
  if (!(e instanceof Error)) return `thrown value: ${String(e)}`;
  const stack = (e.stack ?? "").split("\n").slice(0, 6).join("\n");
  return `${e.name}: ${e.message}\n${stack}`;
}

/** A log line that betrays a crash or an unhandled error rather than a clear message. */
const CRASHY =
  /Uncaught|^\s+at .+:\d+:\d+\)?$|^error: |\b(TypeError|ReferenceError|RangeError|SyntaxError|AssertionError)\b|Cannot read properties|is not a function|undefined \(reading|\bat async\b/m;

/**
 * The first crash-looking line of a log excerpt, if any.
 *
 * @param text The log.
 * @returns The line, or `undefined`.
 */
export function crashLine(text: string): string | undefined {
  const m = CRASHY.exec(text);
  if (!m) return undefined;
  const start = text.lastIndexOf("\n", m.index) + 1;
  const end = text.indexOf("\n", m.index);
  return text.slice(start, end < 0 ? undefined : end);
}

/** Entries of a tree: relative path → `kind:size`. */
export type TreeSnapshot = Map<string, string>;

/**
 * Lists a directory tree (not following symlinks), skipping some top-level names.
 *
 * @param root The directory.
 * @param skip Relative paths (and everything under them) to leave out.
 * @returns The snapshot.
 */
export async function snapshot(root: string, skip: (rel: string) => boolean = () => false) {
  const out: TreeSnapshot = new Map();
  async function walk(dir: string, rel: string) {
    let entries: Deno.DirEntry[] = [];
    try {
      entries = await Array.fromAsync(Deno.readDir(dir));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return;
      throw e;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (skip(r)) continue;
      const st = await Deno.lstat(`${dir}/${e.name}`);
      // A directory's size changes with its entries on some file systems: leave it out.
      out.set(r, e.isDirectory ? "dir" : `${e.isSymlink ? "link" : "file"}:${st.size}`);
      if (e.isDirectory) await walk(`${dir}/${e.name}`, r);
    }
  }
  await walk(root, "");
  return out;
}

/**
 * The differences between two snapshots, as lines.
 *
 * @param before The earlier one.
 * @param after The later one.
 * @returns `+ path`, `- path` or `~ path` per change.
 */
export function diff(before: TreeSnapshot, after: TreeSnapshot): string[] {
  const out: string[] = [];
  for (const [k, v] of after) {
    if (!before.has(k)) out.push(`+ ${k} (${v})`);
    else if (before.get(k) !== v) out.push(`~ ${k} (${before.get(k)} -> ${v})`);
  }
  for (const k of before.keys()) if (!after.has(k)) out.push(`- ${k}`);
  return out;
}

/**
 * Places where a write that escaped its directory would land: the escape
 * mark beside and above `dirs`, in /tmp and at /, and the trap directory.
 *
 * @param dirs Directories that untrusted names were resolved against.
 * @returns Paths that must not exist.
 */
export function escapeCandidates(dirs: string[]): string[] {
  const out = new Set<string>([`/tmp/${ESCAPE_MARK}`, `/${ESCAPE_MARK}`, TRAP_DIR]);
  for (const d of dirs) {
    let p = resolve(d);
    for (let i = 0; i < 8; i++) {
      out.add(`${p}/${ESCAPE_MARK}`);
      if (p === "/") break;
      p = dirname(p);
    }
  }
  return [...out];
}

/**
 * The escape candidates that exist.
 *
 * @param paths From {@linkcode escapeCandidates}.
 * @returns Those that exist.
 */
export async function existing(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    try {
      await Deno.lstat(p);
      out.push(p);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e;
    }
  }
  return out;
}

/**
 * Whether `path` (absolute) is `dir` or under it.
 *
 * @param path The path.
 * @param dir The directory.
 * @returns `true` if inside.
 */
export function inside(path: string, dir: string): boolean {
  const p = resolve(path), d = resolve(dir);
  return p === d || p.startsWith(d.endsWith("/") ? d : d + "/");
}
