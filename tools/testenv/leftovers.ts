/**
 * The suite's leftover check: what a test run left behind. Before the run,
 * {@linkcode snapshot} notes the listening sockets and the entries of the
 * system temporary directory; after it, {@linkcode findLeftovers} reports
 * every process that still carries the run's mark in its environment, every
 * entry left in the run's own temporary directory, every new entry of the
 * system temporary directory, and every new listening socket.
 *
 * @module
 */

import {
  type Listener,
  listeners,
  processesWithEnv,
  type ProcInfo,
  RUN_MARK,
  socketOwners,
} from "./procs.ts";

export { RUN_MARK };

/** What was there before the run. */
export interface Snapshot {
  /** Sockets, as `proto:port:inode`. */
  sockets: Set<string>;
  /** Names in the system temporary directory. */
  tmp: Set<string>;
}

/** What a run left behind, each as a line for the report. */
export interface Leftovers {
  processes: ProcInfo[];
  /** Paths. */
  files: string[];
  /** `proto port (pid N: command)`. */
  ports: string[];
}

const key = (l: Listener) => `${l.proto}:${l.port}:${l.inode}`;

/**
 * Notes what exists before a run.
 *
 * @param tmp The system temporary directory.
 * @returns The snapshot.
 */
export function snapshot(tmp = "/tmp"): Snapshot {
  return { sockets: new Set(listeners().map(key)), tmp: new Set(names(tmp)) };
}

function names(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
}

/** Options for {@linkcode findLeftovers}. */
export interface FindOptions {
  /** The run's mark, the value of {@linkcode RUN_MARK}. */
  mark: string;
  /** The run's own temporary directory (its `TMPDIR`). */
  runTmp: string;
  /** The system temporary directory. */
  tmp?: string;
  /** Names in `tmp` that are not the run's (its own `runTmp`, say). */
  ignoreTmp?: string[];
  /** Sockets whose owners are not the run's, by pid. */
  ignorePids?: Set<number>;
}

/**
 * Finds what a run left behind, compared with `before`.
 *
 * @param before The snapshot taken before the run.
 * @param options See {@linkcode FindOptions}.
 * @returns The leftovers; all empty when the run cleaned up.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { findLeftovers, RUN_MARK, snapshot } from "./leftovers.ts";
 *
 * const runTmp = await Deno.makeTempDir();
 * const before = snapshot();
 * const mark = crypto.randomUUID();
 * const sleeper = new Deno.Command("sleep", { args: ["30"], env: { [RUN_MARK]: mark } }).spawn();
 * await Deno.writeTextFile(`${runTmp}/forgotten`, "");
 * const left = findLeftovers(before, { mark, runTmp, ignoreTmp: [runTmp.split("/").pop()!] });
 * sleeper.kill("SIGKILL");
 * await sleeper.status;
 * await Deno.remove(runTmp, { recursive: true });
 * assert.deepEqual(left.processes.map((p) => p.pid), [sleeper.pid]);
 * assert.deepEqual(left.files, [`${runTmp}/forgotten`]);
 * ```
 */
export function findLeftovers(before: Snapshot, options: FindOptions): Leftovers {
  const tmp = options.tmp ?? "/tmp";
  const ignore = new Set(options.ignoreTmp ?? []);
  const files = names(options.runTmp).map((n) => `${options.runTmp}/${n}`);
  for (const n of names(tmp)) {
    if (!before.tmp.has(n) && !ignore.has(n)) files.push(`${tmp}/${n}`);
  }
  const fresh = listeners().filter((l) => !before.sockets.has(key(l)));
  const owners = fresh.length > 0 ? socketOwners() : new Map<number, ProcInfo>();
  const ports: string[] = [];
  for (const l of fresh) {
    const o = owners.get(l.inode);
    if (o === undefined || options.ignorePids?.has(o.pid)) continue; // closed meanwhile, or not ours
    ports.push(`${l.proto} ${l.port} (pid ${o.pid}: ${o.cmdline.slice(0, 120)})`);
  }
  return { processes: processesWithEnv(RUN_MARK, options.mark), files: files.sort(), ports };
}

/**
 * The report of a check, one line per leftover.
 *
 * @param left What was found.
 * @returns The lines; none when nothing was left.
 */
export function report(left: Leftovers): string[] {
  return [
    ...left.processes.map((p) => `process ${p.pid} still runs: ${p.cmdline.slice(0, 160)}`),
    ...left.files.map((f) => `temporary file or directory left: ${f}`),
    ...left.ports.map((p) => `port still listening: ${p}`),
  ];
}
