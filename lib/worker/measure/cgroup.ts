/**
 * cgroup v2, where the worker may make one per task: the CPU time of every
 * process the task ever had, exactly, and the memory of all of them
 * without a scan of `/proc`.
 *
 * The worker looks for a place once, at start: the cgroup v2 hierarchy
 * (from `/proc/self/mountinfo`), the cgroup it runs in (from
 * `/proc/self/cgroup`), and the nearest of that cgroup and its parent
 * whose `cgroup.subtree_control` lists `memory` and in which it may make a
 * directory (a delegated subtree). A non-root cgroup that hands out
 * controllers holds no process itself, so it is usually the parent of the
 * worker's. Each task then gets `<place>/wq-<worker pid>-<task id>/`, its
 * shell writes itself into that cgroup's `cgroup.procs` before it runs
 * anything (so no child escapes), and the cgroup is removed when the task
 * is forgotten.
 *
 * Everything goes through {@linkcode KernelFiles} (glibc through FFI), as
 * cgroupfs is outside the worker's Deno permissions.
 *
 * @module
 */

import { type KernelFiles, kernelFiles } from "./proc_fs.ts";

const MB = 1024 * 1024;

/** What a cgroup says its processes use. */
export interface CgroupUsage {
  /**
   * Their memory now, in MB: `anon` plus `shmem` of `memory.stat`, what
   * their resident sizes hold apart from mapped files. (`memory.current`
   * and `memory.peak` count the page cache of the files they wrote too,
   * which the kernel can drop at will: a task writing a large output
   * would seem to go over its memory.)
   */
  memoryMB?: number;
  /** `usage_usec` of `cpu.stat`, in seconds: every process it ever held, exactly. */
  cpuSeconds?: number;
  /** Whether `cgroup.procs` lists any process now. */
  populated: boolean;
}

/**
 * The `usage_usec` line of a `cpu.stat` file, in seconds.
 *
 * @param text The file's content.
 * @returns Seconds, or `undefined` if there is no such line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(parseCpuStat("usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n"), 2.5);
 * assert.equal(parseCpuStat("nr_periods 0\n"), undefined);
 * ```
 */
export function parseCpuStat(text: string): number | undefined {
  const m = /^usage_usec (\d+)$/m.exec(text);
  return m ? Number(m[1]) / 1e6 : undefined;
}

/**
 * The memory of a cgroup's processes from its `memory.stat`: `anon` plus
 * `shmem`, in bytes.
 *
 * @param text The file's content.
 * @returns Bytes, or `undefined` if there is no `anon` line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(parseMemoryStat("anon 4096\nfile 999999\nkernel 8192\nshmem 1024\n"), 5120);
 * assert.equal(parseMemoryStat("file 1\n"), undefined);
 * ```
 */
export function parseMemoryStat(text: string): number | undefined {
  const anon = /^anon (\d+)$/m.exec(text);
  if (!anon) return undefined;
  return Number(anon[1]) + Number(/^shmem (\d+)$/m.exec(text)?.[1] ?? 0);
}

/**
 * Reads a cgroup's usage.
 *
 * @param files How to read it.
 * @param dir The cgroup's directory.
 * @returns Its usage, or `undefined` if it cannot be read (gone).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kernelFiles } from "./proc_fs.ts";
 * const dir = await Deno.makeTempDir(); // laid out like a cgroup
 * await Deno.writeTextFile(`${dir}/cgroup.procs`, "42\n");
 * await Deno.writeTextFile(`${dir}/memory.stat`, `anon ${3 * 2 ** 20}\nfile 9999\n`);
 * await Deno.writeTextFile(`${dir}/cpu.stat`, "usage_usec 1500000\n");
 * assert.deepEqual(readCgroupUsage(kernelFiles!, dir), {
 *   memoryMB: 3,
 *   cpuSeconds: 1.5,
 *   populated: true,
 * });
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function readCgroupUsage(files: KernelFiles, dir: string): CgroupUsage | undefined {
  const procs = files.read(`${dir}/cgroup.procs`);
  if (procs === undefined) return undefined;
  const memory = files.read(`${dir}/memory.stat`);
  const bytes = memory === undefined ? undefined : parseMemoryStat(memory);
  const cpu = files.read(`${dir}/cpu.stat`);
  return {
    memoryMB: bytes === undefined ? undefined : bytes / MB,
    cpuSeconds: cpu === undefined ? undefined : parseCpuStat(cpu),
    populated: procs.trim() !== "",
  };
}

/**
 * Where the cgroup v2 hierarchy is mounted, from `/proc/self/mountinfo`
 * (the first `cgroup2` mount; its octal escapes decoded).
 *
 * @param mountinfo The file's content.
 * @returns The mount point, or `undefined` if there is no cgroup2 mount.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const text = "30 24 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw\n" +
 *   "31 24 0:27 / /sys/fs/cgroup/memory rw shared:5 - cgroup cgroup rw,memory\n";
 * assert.equal(cgroup2Mount(text), "/sys/fs/cgroup");
 * assert.equal(cgroup2Mount(text.split("\n")[1]), undefined);
 * ```
 */
export function cgroup2Mount(mountinfo: string): string | undefined {
  for (const line of mountinfo.split("\n")) {
    const [left, right] = line.split(" - ");
    if (right?.split(" ")[0] !== "cgroup2") continue;
    const point = left.split(" ")[4];
    if (point) return point.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
  }
  return undefined;
}

/**
 * The cgroup v2 path of a process, from its `/proc/<pid>/cgroup` (the
 * `0::` line).
 *
 * @param text The file's content.
 * @returns The path inside the hierarchy (`/` for its root), or `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(ownCgroup("4:memory:/user.slice\n0::/user.slice/w.scope\n"), "/user.slice/w.scope");
 * assert.equal(ownCgroup("4:memory:/user.slice\n"), undefined);
 * ```
 */
export function ownCgroup(text: string): string | undefined {
  return /^0::(\/.*)$/m.exec(text)?.[1];
}

/** A cgroup under which the worker makes one cgroup per task. */
export class CgroupPlace {
  #files: KernelFiles;
  /** Its directory. */
  readonly dir: string;

  /**
   * @param files How to reach cgroupfs.
   * @param dir The cgroup's directory (its `cgroup.subtree_control` lists `memory`).
   */
  constructor(files: KernelFiles, dir: string) {
    this.#files = files;
    this.dir = dir;
  }

  /**
   * Makes a task's cgroup.
   *
   * @param name Its name (one path component).
   * @returns Its directory, or `undefined` if it cannot be made.
   */
  make(name: string): string | undefined {
    const dir = `${this.dir}/${name}`;
    return this.#files.mkdir(dir) ? dir : undefined;
  }

  /**
   * SIGKILLs every process in a task's cgroup (`cgroup.kill`, Linux 5.14
   * and later), those that left its session too.
   *
   * @param dir Its directory.
   * @returns Whether the kernel took the order.
   */
  kill(dir: string): boolean {
    return this.#files.write(`${dir}/cgroup.kill`, "1");
  }

  /**
   * Removes a task's cgroup; it must hold no process any more.
   *
   * @param dir Its directory.
   * @returns Whether it was removed.
   */
  remove(dir: string): boolean {
    return this.#files.rmdir(dir);
  }
}

/** Where {@linkcode findCgroupPlace} looks. */
export interface CgroupLookup {
  /** The content of `/proc/self/mountinfo`. */
  mountinfo: string;
  /** The content of `/proc/self/cgroup`. */
  selfCgroup: string;
  /** A name to probe writability with (made, then removed). */
  probe: string;
}

/**
 * Finds where the worker may make a cgroup with the memory controller for
 * each task: its own cgroup or the parent of it, whichever first lists
 * `memory` in `cgroup.subtree_control` and lets it make a directory.
 *
 * @param files How to reach cgroupfs.
 * @param lookup The worker's mounts and cgroup.
 * @returns The place, or `undefined` where there is none (no cgroup v2, no
 * memory controller for children, no delegation): then tasks are measured
 * through `/proc`.
 */
export function findCgroupPlace(
  files: KernelFiles,
  lookup: CgroupLookup,
): CgroupPlace | undefined {
  const mount = cgroup2Mount(lookup.mountinfo);
  const own = ownCgroup(lookup.selfCgroup);
  if (mount === undefined || own === undefined) return undefined;
  const base = mount.replace(/\/+$/, "");
  const ownDir = own === "/" ? base : `${base}${own}`;
  const candidates = [ownDir];
  if (ownDir !== base) candidates.push(ownDir.slice(0, ownDir.lastIndexOf("/")));
  for (const dir of candidates) {
    const control = files.read(`${dir}/cgroup.subtree_control`);
    if (control === undefined || !control.trim().split(/\s+/).includes("memory")) continue;
    const probe = `${dir}/${lookup.probe}`;
    if (!files.mkdir(probe)) continue;
    files.rmdir(probe);
    return new CgroupPlace(files, dir);
  }
  return undefined;
}

/**
 * {@linkcode findCgroupPlace} for this worker, from its own
 * `/proc/self/mountinfo` and `/proc/self/cgroup`.
 *
 * @param files How to reach `/proc` and cgroupfs (default {@linkcode kernelFiles}).
 * @returns The place, or `undefined` where there is none (or no way to look).
 */
export function detectCgroupPlace(
  files: KernelFiles | undefined = kernelFiles,
): CgroupPlace | undefined {
  if (!files) return undefined;
  const mountinfo = files.read("/proc/self/mountinfo");
  const selfCgroup = files.read("/proc/self/cgroup");
  if (mountinfo === undefined || selfCgroup === undefined) return undefined;
  return findCgroupPlace(files, { mountinfo, selfCgroup, probe: `wq-${Deno.pid}-probe` });
}

/**
 * The line a task's shell runs first to enter its cgroup: it writes its
 * own pid into `cgroup.procs` before it starts anything.
 *
 * @param dir The task's cgroup.
 * @returns The line, with its LF.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(
 *   enterCgroupLine("/sys/fs/cgroup/it's"),
 *   "echo $$ >'/sys/fs/cgroup/it'\\''s/cgroup.procs' 2>/dev/null\n",
 * );
 * ```
 */
export function enterCgroupLine(dir: string): string {
  return `echo $$ >'${`${dir}/cgroup.procs`.replaceAll("'", `'\\''`)}' 2>/dev/null\n`;
}
