/**
 * What a benchmark run finds on its machine: the machine's description,
 * free ports, the compiled ceiling, which CCTools installs are usable, and
 * the input files it writes.
 *
 * @module
 */

import { ROOT } from "../tools/entrypoints.ts";
import type { Sizes } from "./_scenarios.ts";

/** The machine a run happened on. */
export interface Machine {
  cpu: string;
  cores: number;
  memGiB: number;
  kernel: string;
  deno: string;
  v8: string;
  date: string;
  commit: string;
}

function git(args: string[]): string {
  try {
    const out = new Deno.Command("git", { args, cwd: ROOT, stdout: "piped", stderr: "null" })
      .outputSync();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : "";
  } catch {
    return "";
  }
}

/** The 1-minute load average: other work on the machine skews a measurement. */
export function loadavg(): number {
  return Number(Deno.readTextFileSync("/proc/loadavg").split(" ")[0]);
}

/** The machine, the date and the commit (`+dirty` if the tree has changes). */
export function machine(): Machine {
  const cpuinfo = Deno.readTextFileSync("/proc/cpuinfo");
  const meminfo = Deno.readTextFileSync("/proc/meminfo");
  const memKb = Number(/MemTotal:\s+(\d+)/.exec(meminfo)?.[1] ?? 0);
  // A copy without .git (e.g. from `git archive`) names its commit in WQ_BENCH_COMMIT.
  const given = Deno.env.get("WQ_BENCH_COMMIT");
  const commit = given ?? (git(["rev-parse", "--short", "HEAD"]) || "unknown");
  const dirty = given === undefined &&
    git(["status", "--porcelain", "--untracked-files=no"]) !== "";
  return {
    cpu: /model name\s*:\s*(.*)/.exec(cpuinfo)?.[1] ?? "unknown",
    cores: navigator.hardwareConcurrency,
    memGiB: Math.round(memKb / 1024 / 1024 * 10) / 10,
    kernel: Deno.osRelease(),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    date: new Date().toISOString(),
    commit: commit + (dirty ? "+dirty" : ""),
  };
}

/** Whether a path exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** A free TCP port on loopback, for CATALOG_PORT (nothing listens there). */
export function unusedPort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Compiles bench/ceiling.c, or says why not. */
export async function compileCeiling(dir: string): Promise<string | { skip: string }> {
  const bin = `${dir}/ceiling`;
  try {
    const out = await new Deno.Command("cc", {
      args: ["-O2", "-o", bin, `${ROOT}/bench/ceiling.c`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      return { skip: `cc failed: ${new TextDecoder().decode(out.stderr).trim()}` };
    }
    return bin;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      return { skip: "no C compiler (cc) on PATH; install gcc for the ceiling column" };
    }
    throw e;
  }
}

/** How to run one CCTools install: its worker and what its Python manager needs. */
export interface CctoolsInstall {
  /** The `work_queue_worker` binary. */
  worker: string;
  /** Environment of bench/run_cctools.py (the module to import, PYTHONPATH, the worker). */
  env: Record<string, string>;
}

async function importable(module: string, env: Record<string, string>): Promise<boolean> {
  try {
    const out = await new Deno.Command("/usr/bin/python3", {
      args: ["-c", `import ${module}`],
      env,
      stdout: "null",
      stderr: "null",
    }).output();
    return out.success;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Debian's CCTools (protocol 9): /usr/bin/work_queue_worker and python3-workqueue, or why not. */
export async function debianCctools(): Promise<CctoolsInstall | { skip: string }> {
  const worker = "/usr/bin/work_queue_worker";
  if (!await exists(worker)) {
    return { skip: `CCTools not installed (${worker} missing)` };
  }
  const env = { WQ_BENCH_CCTOOLS_MODULE: "work_queue", WQ_BENCH_CCTOOLS_WORKER: worker };
  if (await importable("work_queue", env)) return { worker, env };
  return { skip: "CCTools' Python module work_queue is not importable by /usr/bin/python3" };
}

/**
 * A CCTools install under `prefix` (7.x, protocol 11): `bin/work_queue_worker`
 * and `lib/python3.*\/site-packages/ndcctools`, or why it cannot be used.
 *
 * @param prefix The install prefix (`./configure --prefix`).
 * @returns The install, or why not.
 */
export async function prefixCctools(prefix: string): Promise<CctoolsInstall | { skip: string }> {
  const worker = `${prefix}/bin/work_queue_worker`;
  if (!await exists(worker)) return { skip: `${worker} is missing` };
  const sites: string[] = [];
  try {
    for await (const e of Deno.readDir(`${prefix}/lib`)) {
      const site = `${prefix}/lib/${e.name}/site-packages`;
      if (/^python3\.\d+$/.test(e.name) && await exists(`${site}/ndcctools`)) sites.push(site);
    }
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  if (sites.length === 0) return { skip: `no ${prefix}/lib/python3.*/site-packages/ndcctools` };
  const env = {
    WQ_BENCH_CCTOOLS_MODULE: "ndcctools.work_queue",
    WQ_BENCH_CCTOOLS_WORKER: worker,
    PYTHONPATH: sites.join(":"),
  };
  if (await importable("ndcctools.work_queue", env)) return { worker, env };
  return {
    skip: `ndcctools.work_queue under ${sites.join(", ")} is not importable by /usr/bin/python3`,
  };
}

/** Writes the inputs: distinct files (distinct contents) and the cached one. */
export async function makeData(dir: string, sizes: Sizes, needDistinct: boolean): Promise<void> {
  const base = new Uint8Array(sizes.inputBytes);
  for (let i = 0; i < base.length; i += 65536) {
    crypto.getRandomValues(base.subarray(i, Math.min(base.length, i + 65536)));
  }
  await Deno.mkdir(`${dir}/cached`);
  await Deno.writeFile(`${dir}/cached/input`, base);
  if (!needDistinct) return;
  await Deno.mkdir(`${dir}/distinct`);
  const view = new DataView(base.buffer);
  for (let i = 0; i < sizes.distinctTasks; i++) {
    view.setUint32(0, i); // every file differs from the others
    await Deno.writeFile(`${dir}/distinct/input-${i}`, base);
  }
}
