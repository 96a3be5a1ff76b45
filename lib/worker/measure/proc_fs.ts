/**
 * Reading `/proc` (and other kernel files, such as a cgroup's) through
 * glibc's open/read/close and opendir/readdir, called through Deno's FFI:
 * Deno grants reading `/proc/<pid>` only with `--allow-all`, while the
 * worker has `--allow-ffi` (it starts tasks through posix_spawn, see
 * `../libc_spawn.ts`). Nothing here prompts for a permission.
 *
 * Used only on Linux (x86_64, aarch64) with glibc and `--allow-ffi`;
 * otherwise {@linkcode kernelFiles} is undefined and the worker measures
 * only what the shell's exit status and the sandbox walk tell.
 *
 * @module
 */

import { openLibc } from "../libc.ts";

const O_RDONLY = 0;
const O_WRONLY = 1;
const O_CLOEXEC = 0o2000000;
/** Offset of `d_name` in glibc's `struct dirent` on 64-bit Linux. */
const D_NAME = 19;
const SC_CLK_TCK = 2;
const SC_PAGESIZE = 30;

const SYMBOLS = {
  open: { parameters: ["buffer", "i32", "u32"], result: "i32" },
  read: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  mkdir: { parameters: ["buffer", "u32"], result: "i32" },
  rmdir: { parameters: ["buffer"], result: "i32" },
  opendir: { parameters: ["buffer"], result: "pointer" },
  readdir: { parameters: ["pointer"], result: "pointer" },
  closedir: { parameters: ["pointer"], result: "i32" },
  sysconf: { parameters: ["i32"], result: "i64" },
} as const satisfies Deno.ForeignLibraryInterface;

/** Kernel files, read and written outside Deno's permissions. */
export interface KernelFiles {
  /** Bytes in a page (`/proc/<pid>/stat` counts memory in pages). */
  readonly pageSize: number;
  /** Clock ticks in a second (`/proc/<pid>/stat` counts CPU time in ticks). */
  readonly clockTicks: number;
  /**
   * The whole content of a small file (up to `max` bytes).
   *
   * @returns The text, or `undefined` if it cannot be opened or read (gone, not allowed).
   */
  read(path: string, max?: number): string | undefined;
  /** Writes `text` to an existing file; returns whether all of it was written. */
  write(path: string, text: string): boolean;
  /** The names in a directory (without `.` and `..`), or `undefined` if it cannot be listed. */
  list(path: string): string[] | undefined;
  /** Makes a directory; returns whether it was made. */
  mkdir(path: string): boolean;
  /** Removes an empty directory (a cgroup); returns whether it was removed. */
  rmdir(path: string): boolean;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function cPath(path: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(`${path}\0`);
}

function bind(lib: Deno.DynamicLibrary<typeof SYMBOLS>["symbols"]): KernelFiles {
  let buf = new Uint8Array(16384);
  const conf = (name: number, fallback: number) => {
    const v = Number(lib.sysconf(name));
    return v > 0 ? v : fallback;
  };
  return {
    pageSize: conf(SC_PAGESIZE, 4096),
    clockTicks: conf(SC_CLK_TCK, 100),
    read(path, max = 1 << 20) {
      const fd = lib.open(cPath(path), O_RDONLY | O_CLOEXEC, 0);
      if (fd < 0) return undefined;
      try {
        let len = 0;
        while (len < max) {
          if (len === buf.length) {
            const bigger = new Uint8Array(Math.min(max, buf.length * 2));
            bigger.set(buf);
            buf = bigger;
          }
          const room = Math.min(buf.length, max) - len;
          const n = Number(lib.read(fd, buf.subarray(len), BigInt(room)));
          if (n < 0) return undefined;
          if (n === 0) break;
          len += n;
        }
        return decoder.decode(buf.subarray(0, len));
      } finally {
        lib.close(fd);
      }
    },
    write(path, text) {
      const fd = lib.open(cPath(path), O_WRONLY | O_CLOEXEC, 0);
      if (fd < 0) return false;
      try {
        const bytes = encoder.encode(text);
        return Number(lib.write(fd, bytes, BigInt(bytes.length))) === bytes.length;
      } finally {
        lib.close(fd);
      }
    },
    list(path) {
      const dir = lib.opendir(cPath(path));
      if (dir === null) return undefined;
      const names: string[] = [];
      try {
        for (let e = lib.readdir(dir); e !== null; e = lib.readdir(dir)) {
          const name = new Deno.UnsafePointerView(e).getCString(D_NAME);
          if (name !== "." && name !== "..") names.push(name);
        }
      } finally {
        lib.closedir(dir);
      }
      return names;
    },
    mkdir: (path) => lib.mkdir(cPath(path), 0o755) === 0,
    rmdir: (path) => lib.rmdir(cPath(path)) === 0,
  };
}

function load(): KernelFiles | undefined {
  const libc = openLibc(SYMBOLS);
  return libc && bind(libc.symbols);
}

/**
 * Kernel files through glibc, or undefined where the worker may not call
 * it (not Linux with glibc, or no `--allow-ffi`). Loaded once, when this
 * module is first imported, so that the library is not a resource of any
 * one test.
 */
export const kernelFiles: KernelFiles | undefined = load();

/** One process, as `/proc/<pid>/stat` describes it. */
export interface ProcStat {
  /** Its pid. */
  pid: number;
  /** Its parent's pid. */
  ppid: number;
  /** Its session id (the pid of the session's leader). */
  session: number;
  /** User plus system CPU time, in clock ticks. */
  cpuTicks: number;
  /** Resident set size, in pages. */
  rssPages: number;
}

/**
 * Parses `/proc/<pid>/stat`. The command name (field 2) is in parentheses
 * and may hold spaces and parentheses itself, so the fields are counted
 * from the last `)`.
 *
 * @param text The file's content.
 * @returns The process, or `undefined` if the text is not such a line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const line = "42 (a b) c) S 1 42 40 0 -1 4194560 100 0 0 0 7 3 0 0 20 0 1 0 " +
 *   "500 10000000 2500 18446744073709551615";
 * assert.deepEqual(parseProcStat(line), {
 *   pid: 42,
 *   ppid: 1,
 *   session: 40,
 *   cpuTicks: 10,
 *   rssPages: 2500,
 * });
 * assert.equal(parseProcStat("nonsense"), undefined);
 * ```
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(")");
  const pid = Number.parseInt(text, 10);
  if (close < 0 || !Number.isSafeInteger(pid)) return undefined;
  // Fields from 3 (state) on: f[0] is field 3.
  const f = text.slice(close + 2).split(" ");
  if (f.length < 22) return undefined;
  const n = (i: number) => Number(f[i - 3]);
  const stat = {
    pid,
    ppid: n(4),
    session: n(6),
    cpuTicks: n(14) + n(15),
    rssPages: n(24),
  };
  return Object.values(stat).every(Number.isFinite) ? stat : undefined;
}

/**
 * Every process's `/proc/<pid>/stat`, read through {@linkcode KernelFiles}.
 * A process that exits during the scan is left out.
 *
 * @param files How to read them.
 * @param root The proc mount (default `/proc`).
 * @returns The processes by pid.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const me = scanProcesses(kernelFiles!).get(Deno.pid);
 * assert.ok(me !== undefined && me.rssPages > 0);
 * ```
 */
export function scanProcesses(files: KernelFiles, root = "/proc"): Map<number, ProcStat> {
  const out = new Map<number, ProcStat>();
  for (const name of files.list(root) ?? []) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    const text = files.read(`${root}/${name}/stat`, 4096);
    const stat = text === undefined ? undefined : parseProcStat(text);
    if (stat) out.set(stat.pid, stat);
  }
  return out;
}

/**
 * The processes of a task: those of its session when its shell leads one
 * (orphans re-parented away from the tree included), else the shell and
 * its descendants.
 *
 * @param procs Every process, by pid.
 * @param pid The task's shell.
 * @param sessionLeader Whether the shell leads its own session.
 * @returns The task's processes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const p = (pid: number, ppid: number, session: number) =>
 *   [pid, { pid, ppid, session, cpuTicks: 0, rssPages: 1 }] as const;
 * const procs = new Map([p(10, 1, 10), p(11, 10, 10), p(12, 1, 10), p(13, 11, 5), p(14, 1, 1)]);
 * const pids = (l: { pid: number }[]) => l.map((x) => x.pid).sort();
 * assert.deepEqual(pids(taskProcesses(procs, 10, true)), [10, 11, 12]);
 * assert.deepEqual(pids(taskProcesses(procs, 10, false)), [10, 11, 13]);
 * ```
 */
export function taskProcesses(
  procs: ReadonlyMap<number, ProcStat>,
  pid: number,
  sessionLeader: boolean,
): ProcStat[] {
  if (sessionLeader) return [...procs.values()].filter((p) => p.session === pid);
  const children = new Map<number, ProcStat[]>();
  for (const p of procs.values()) {
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  const root = procs.get(pid);
  if (!root) return [];
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i].pid) ?? []));
  return out;
}
