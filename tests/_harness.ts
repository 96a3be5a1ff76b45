/**
 * Helpers for tests that run real processes over loopback: temporary
 * directories, our worker, CCTools' worker, Python managers, and polling.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Task } from "../mod.ts";
import { denoRunArgs, ROOT } from "../tools/entrypoints.ts";
import { killAll, PROC_MARK, processesWithEnv } from "../tools/testenv/procs.ts";
import { exists } from "../tools/testenv/run.ts";

export { ROOT };

/** A temporary directory removed on dispose. */
export interface TempDir extends AsyncDisposable {
  path: string;
}

/** Makes a fresh temporary directory, removed when disposed. */
export async function tempDir(prefix = "wq-test-"): Promise<TempDir> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    async [Symbol.asyncDispose]() {
      await Deno.remove(path, { recursive: true }).catch(() => {});
    },
  };
}

/** A child process with its merged, captured output. */
export interface Proc extends AsyncDisposable {
  child: Deno.ChildProcess;
  /** Everything it has printed so far (stdout and stderr). */
  log(): string;
  /** Resolves with the exit status. */
  status: Promise<Deno.CommandStatus>;
  /** Sends a signal to the process alone, if it still runs. */
  kill(signal?: Deno.Signal): void;
  /**
   * SIGKILLs the process and every process it started, also those that left
   * its process group (a worker's tasks run in sessions of their own), as
   * when its machine dies.
   */
  killTree(): void;
}

/**
 * The temporary directories of spawned processes not removed yet. When the
 * test file ends, those whose processes are all gone are removed; the others
 * stay, for the suite's leftover check to report with their processes.
 */
const unfinished = new Set<{ mark: string; removeTmp: () => void }>();
globalThis.addEventListener("unload", () => {
  for (const u of unfinished) {
    if (processesWithEnv(PROC_MARK, u.mark).length === 0) u.removeTmp();
  }
});

/** Options for {@linkcode spawn}. */
export interface SpawnOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Print the process's output live (for debugging a test). */
  echo?: boolean;
  /**
   * How long it may run, in ms (default 150 s): then it and everything it
   * started are killed, and its log says so. A test that waits for a
   * process that hangs fails instead of hanging.
   */
  limitMs?: number;
}

/**
 * Spawns a process capturing its output. It gets a process group of its own,
 * a mark in its environment that its descendants inherit, and a temporary
 * directory of its own as `TMPDIR` (where CCTools' worker keeps its
 * workspace and Python its staging directories); disposal SIGKILLs the
 * group and every marked process, waits for it, and removes that directory.
 * Dispose of it with `await using` (or in `finally`), so that nothing
 * outlives the test, also when the test fails.
 */
export function spawn(argv: string[], options: SpawnOptions = {}): Proc {
  const mark = crypto.randomUUID();
  const tmp = Deno.makeTempDirSync({ prefix: "wq-proc-" });
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: options.cwd,
    env: { TMPDIR: tmp, ...options.env, [PROC_MARK]: mark },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    detached: true, // a process group (and session) of its own
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const readers = [child.stdout.getReader(), child.stderr.getReader()];
  const pump = async (r: ReadableStreamDefaultReader<Uint8Array>) => {
    for (let c = await r.read(); !c.done; c = await r.read()) {
      text += decoder.decode(c.value, { stream: true });
      if (options.echo) Deno.stderr.writeSync(c.value);
    }
  };
  const pumps = Promise.all(readers.map(pump)).catch(() => {});
  const removeTmp = () => {
    unfinished.delete(tmps);
    try {
      Deno.removeSync(tmp, { recursive: true });
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) throw e; // removed already
    }
  };
  const tmps = { mark, removeTmp };
  unfinished.add(tmps);
  // A killed process may leave children that hold its pipes open: wait for
  // its output only briefly once it has exited.
  const status = child.status.then(async (s) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([pumps, new Promise((r) => timer = setTimeout(r, 1000))]);
    clearTimeout(timer);
    // Its temporary directory goes with it, unless something it started
    // still runs (then disposal removes it); what was just SIGKILLed gets a
    // moment to die. Synchronous, so that no file operation is pending when
    // the test ends.
    for (let i = 0; i < 20 && processesWithEnv(PROC_MARK, mark).length > 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    if (processesWithEnv(PROC_MARK, mark).length === 0) removeTmp();
    return s;
  });
  let done = false;
  status.then(() => done = true);
  const kill = (signal: Deno.Signal = "SIGTERM") => {
    if (done) return;
    try {
      child.kill(signal);
    } catch (e) {
      if (!(e instanceof TypeError)) throw e; // already exited
    }
  };
  const killTree = () => {
    try {
      Deno.kill(-child.pid, "SIGKILL"); // its group, whose id stays ours while a member lives
    } catch {
      // every member has exited
    }
    killAll(processesWithEnv(PROC_MARK, mark));
  };
  const limitMs = options.limitMs ?? 150_000;
  const watchdog = setTimeout(() => {
    text += `\n[harness: still running after ${limitMs / 1000} s: killed]\n`;
    killTree();
  }, limitMs);
  child.status.finally(() => clearTimeout(watchdog));
  return {
    child,
    log: () => text,
    status,
    kill,
    killTree,
    async [Symbol.asyncDispose]() {
      killTree();
      await status;
      killTree(); // what was starting while the first sweep ran
      // The pipes close once every writer is gone; one that escaped the mark
      // (none should) must not keep the test's resources open.
      for (const r of readers) await r.cancel().catch(() => {});
      await pumps;
      removeTmp();
    },
  };
}

/** Options for {@linkcode startWorker}. */
export interface WorkerOptions extends SpawnOptions {
  /** Extra worker arguments (before HOST PORT). */
  args?: string[];
  /** Run CCTools' `work_queue_worker` instead of ours. */
  cctools?: boolean;
  /**
   * Run the worker in its own UTS namespace with this host name (needs
   * root and `unshare`), so that workers on one machine differ by host.
   */
  hostname?: string;
}

/**
 * Starts our worker (or CCTools') against a manager on 127.0.0.1, or, with
 * `port` null, with only the given arguments (e.g. `-M PROJECT`).
 */
export function startWorker(port: number | null, options: WorkerOptions = {}): Proc {
  const base = options.cctools ? [requireBinary("work_queue_worker")] : denoRunArgs("worker");
  let uts: string[] = [];
  let hosts: string | undefined;
  if (options.hostname !== undefined) {
    // CCTools' worker resolves its own name, so the name also goes into a
    // private /etc/hosts (bind-mounted in a private mount namespace).
    hosts = Deno.makeTempFileSync({ prefix: "wq-hosts-" });
    Deno.writeTextFileSync(hosts, `127.0.0.1 localhost\n127.0.1.1 ${options.hostname}\n`);
    uts = [
      "unshare",
      "--uts",
      "--mount",
      "sh",
      "-c",
      'mount --bind "$0" /etc/hosts && hostname "$1" && shift && exec "$@"',
      hosts,
      options.hostname,
    ];
  }
  const address = port === null ? [] : ["127.0.0.1", String(port)];
  const proc = spawn([...uts, ...base, ...(options.args ?? []), ...address], {
    ...options,
    env: { CATALOG_HOST: "127.0.0.1", CATALOG_PORT: "1", ...options.env },
  });
  // The private /etc/hosts is bound by then; synchronous, so that no file
  // operation is still pending when the test ends.
  if (hosts !== undefined) proc.status.finally(() => Deno.removeSync(hosts));
  return proc;
}

/**
 * The path of a CCTools binary; throws with an install hint when it is
 * missing, so that interop tests fail loudly instead of passing quietly.
 */
export function requireBinary(
  name: string,
  install = "apt-get install -y coop-computing-tools python3-workqueue",
): string {
  for (const dir of ["/usr/bin", "/usr/local/bin"]) {
    const path = `${dir}/${name}`;
    try {
      Deno.statSync(path);
      return path;
    } catch {
      continue;
    }
  }
  throw new Error(
    `Cannot run test: '${name}' is not installed (${install})`,
  );
}

/** Debian's Python, which sees the `work_queue` module. */
export const PYTHON = "/usr/bin/python3";

/** Polls `pred` until it is true or `timeoutMs` passes (then throws `what`). */
export async function until(
  pred: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  let delay = 5;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 100);
  }
}

/**
 * Waits until a program that runs a manager logs `listening on port N`, and
 * returns N; fails with its log if it exits first or never says so.
 */
export async function listeningPort(p: Proc, what: string): Promise<number> {
  let port = 0, exited = false;
  p.status.then(() => exited = true);
  await until(() => {
    port = Number(p.log().match(/listening on port (\d+)/)?.[1] ?? 0);
    return port > 0 || exited;
  }, `${what} to listen`);
  if (port === 0) throw new Error(`${what} did not start:\n${p.log()}`);
  return port;
}

/** Reads a whole text file. */
export function read(path: string): Promise<string> {
  return Deno.readTextFile(path);
}

/** Whether a path exists. */
export { exists };

/** A clock that a test moves by hand (`ManualClock` of lib/clock.ts). */
export interface HandClock {
  advance(ms: number): void;
}

/**
 * Moves a manual clock `stepMs` at a time, with a few real milliseconds
 * between steps for sockets and processes to move, until `pred` is true;
 * throws `what` after `timeoutMs` of real time. The logic on that clock
 * sees time pass without the test waiting for it.
 */
export async function advanceUntil(
  clock: HandClock,
  pred: () => boolean | Promise<boolean>,
  what: string,
  options: { stepMs?: number; timeoutMs?: number } = {},
): Promise<void> {
  const { stepMs = 250, timeoutMs = 30_000 } = options;
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    clock.advance(stepMs);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Waits for `n` tasks of a queue; each must come back once.
 *
 * @returns The tasks, by id.
 */
export async function waitAll(
  wq: { wait(timeout: number): Promise<Task | null> },
  n: number,
): Promise<Map<number, Task>> {
  const done = new Map<number, Task>();
  while (done.size < n) {
    const t = await wq.wait(60);
    assert.ok(t, `timed out with ${done.size} of ${n} tasks back`);
    assert.ok(!done.has(t.id), `task ${t.id} came back twice`);
    done.set(t.id, t);
  }
  return done;
}
