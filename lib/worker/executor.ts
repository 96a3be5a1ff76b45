/**
 * Runs one task command: `/bin/sh -c` in its sandbox, in its own process
 * group, stdin from /dev/null, stdout and stderr merged into a file. A kill
 * reaches the whole group.
 *
 * "Killed by a signal" means that the task's shell itself died of one (its
 * wait status says so). A command the shell started that is killed is not:
 * the shell goes on, and exits 128 + N if that was its last command, which
 * is an exit code like any other.
 *
 * @module
 */

import { constants } from "node:os";
import { killTree } from "./process_tree.ts";
import { type ChildUsage, type LibcSpawner, libcSpawner } from "./libc_spawn.ts";
import type { Resources } from "../resources.ts";

/** How a task's process ended. */
export interface ProcessOutcome {
  /** The exit code, or the signal number if a signal killed it (CCTools reports it so). */
  exit: number;
  /** The number of the signal that killed it, if one did. */
  signal?: number;
  /** The name of that signal (`SIGKILL`), if one did. */
  signalName?: string;
  /** Wall time from spawn to exit, in microseconds. */
  usec: number;
  /**
   * What the shell and the descendants it waited for used (wait4's
   * rusage), where the task was started through posix_spawn.
   */
  usage?: ChildUsage;
}

/** A started task process. */
export interface RunningProcess {
  /** The process id (also its process group id, unless the group is shared). */
  readonly pid: number;
  /**
   * Whether it leads a session of its own, so that its processes are
   * those of that session (orphans included); false in a shared group,
   * where its processes are its descendants.
   */
  readonly sessionLeader?: boolean;
  /** Resolves when it exits. */
  readonly done: Promise<ProcessOutcome>;
  /**
   * Whether processes the task started may still run after it exited
   * (a background job, a daemon): true until every process has exited or
   * closed the task's inherited sentinel pipe. The worker recycles a
   * sandbox and stdout file only when this is false, so that a leftover
   * process cannot write into a later task's files.
   */
  lingering(): boolean;
  /** Stops watching for leftover processes (closes the sentinel pipe). */
  close(): void;
  /**
   * SIGKILLs it and all its descendants, and every process left in its
   * process group (also after it exited, as CCTools does).
   *
   * @throws {Error} If the tree of a task in a shared group cannot be walked.
   */
  kill(): void;
}

/** What {@linkcode startProcess} runs. */
export interface ProcessSpec {
  /** The shell command. */
  command: string;
  /** Working directory (the sandbox). */
  cwd: string;
  /** The complete environment (nothing else is inherited). */
  env: Record<string, string>;
  /** File that receives stdout and stderr, created or truncated. */
  stdoutPath: string;
  /**
   * Leave the process in the worker's process group instead of a new one
   * (`--fast-spawn`). It saves time only where the session cannot be made
   * through posix_spawn (see libc_spawn.ts: no `--allow-ffi`, or not glibc)
   * and costs the exec of `setsid`; a task that signals its own group
   * (`kill 0`, a common cleanup idiom) signals the worker too. Default false.
   */
  sharedGroup?: boolean;
}

/** Anything that starts processes: the seam tests can replace. */
export interface Executor {
  /** Starts `spec`; throws if it cannot be spawned. */
  start(spec: ProcessSpec): RunningProcess;
}

const STDOUT_VAR = "WQ_STDOUT_FILE";

/**
 * The most tasks started through posix_spawn at a time: each waits in a
 * thread of Deno's blocking pool (512 threads, shared with file
 * operations); past this, tasks start through `setsid(1)`, whose
 * processes Deno reaps without a thread.
 */
const MAX_UNREAPED = 64;

/** The descriptor every process of a task inherits: the sentinel pipe. */
const SENTINEL_FD = 9;

/**
 * The script handed to `/bin/sh -c`: it keeps the sentinel pipe (its
 * original stdout) as descriptor 9 for every process it starts, points its
 * own stdout and stderr at the output file (so the two interleave exactly
 * as written, and nothing passes through the worker's memory), then runs
 * the command.
 *
 * @param command The task's command.
 * @returns The script.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const script = shellScript("echo hi");
 * assert.ok(script.endsWith("\necho hi"), script);
 * ```
 */
export function shellScript(command: string): string {
  return `exec ${SENTINEL_FD}>&1 >"$${STDOUT_VAR}" 2>&1\nunset ${STDOUT_VAR}\n${command}`;
}

/**
 * Where `setsid(1)` (util-linux, busybox) may be. Emptied of a candidate
 * the first time spawning it finds no such file.
 */
const setsidCandidates = ["/usr/bin/setsid", "/bin/setsid"];

/**
 * Spawns the task's shell in a new session (and so a new process group)
 * where posix_spawn cannot be called (see {@linkcode startInSession}).
 * Deno's own `detached` calls setsid() in a pre-exec hook, which makes it
 * fork the whole worker instead of using vfork; running the small
 * `setsid` program, which then execs `/bin/sh`, keeps the vfork and costs
 * one exec in the child (about 1.3x the task rate of `detached` on tiny
 * tasks). Without `setsid` on the machine it falls back to `detached`.
 */
function spawnInNewSession(script: string, options: Deno.CommandOptions): Deno.ChildProcess {
  while (setsidCandidates.length > 0) {
    try {
      return new Deno.Command(setsidCandidates[0], {
        ...options,
        args: ["/bin/sh", "-c", script],
      }).spawn();
    } catch (e) {
      // No such program, unless it is the working directory that is missing.
      if (!(e instanceof Deno.errors.NotFound) || !isDirectory(options.cwd)) throw e;
      setsidCandidates.shift();
    }
  }
  return new Deno.Command("/bin/sh", { ...options, args: ["-c", script], detached: true }).spawn();
}

function isDirectory(path: string | URL | undefined): boolean {
  try {
    return path !== undefined && Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/**
 * Starts a task process in its own session and process group (through
 * glibc's posix_spawn where the worker may call it, see libc_spawn.ts;
 * else through `setsid(1)`), so that
 * nothing it does to its group (`kill 0`) reaches the worker, and a kill
 * reaches every process it started, even those whose parent has exited
 * ({@linkcode ProcessSpec.sharedGroup} trades this for speed;
 * {@linkcode killTree} then finds the descendants). Its stdout is a
 * pipe that the script keeps as descriptor 9 (see {@linkcode shellScript}):
 * end of file on it means no process of the task is left.
 *
 * @param spec What to run.
 * @returns The running process.
 */
export function startProcess(spec: ProcessSpec): RunningProcess {
  if (!spec.sharedGroup && libcSpawner !== undefined && libcSpawner.unreaped < MAX_UNREAPED) {
    return startInSession(spec, libcSpawner);
  }
  const started = performance.now();
  const script = shellScript(spec.command);
  const options: Deno.CommandOptions = {
    cwd: spec.cwd,
    env: { ...spec.env, [STDOUT_VAR]: spec.stdoutPath },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  };
  const child = spec.sharedGroup
    ? new Deno.Command("/bin/sh", { ...options, args: ["-c", script] }).spawn()
    : spawnInNewSession(script, options);
  let exited = false;
  let sentinel: "open" | "closed" | "failed" = "open";
  // A BYOB read into a small buffer: the default reader allocates a large
  // chunk per read, which costs more than the rest of the watch.
  const reader = child.stdout.getReader({ mode: "byob" });
  const drain = async () => {
    let buf = new Uint8Array(64);
    for (;;) {
      const r = await reader.read(buf);
      if (r.done) return;
      buf = new Uint8Array(r.value.buffer); // a task wrote to descriptor 9: ignore it
    }
  };
  drain().then(
    () => sentinel = "closed",
    () => sentinel = "failed", // unknown: treated as lingering
  );
  const done = child.status.then((status) => {
    exited = true;
    const usec = Math.max(0, Math.round((performance.now() - started) * 1000));
    if (status.signal) {
      const n = signalNumber(status.signal);
      return { exit: n, signal: n, signalName: status.signal, usec };
    }
    return { exit: status.code, usec };
  });
  return {
    pid: child.pid,
    sessionLeader: !spec.sharedGroup,
    done,
    kill() {
      // Its group holds everything it started (orphans too, and after it
      // exited, its background jobs); a shared group needs the tree walk.
      if (spec.sharedGroup) {
        if (!exited) killTree(child.pid);
      } else if (!killGroup(child.pid) && !exited) {
        // setsid(1) makes the group only once it runs: until then the task
        // is that one process, still in our group. Kill it, and the group
        // in case setsid() ran in between.
        killProcess(child.pid);
        killGroup(child.pid);
      }
    },
    lingering() {
      return sentinel !== "closed";
    },
    close() {
      if (sentinel === "open") {
        sentinel = "failed";
        reader.cancel().catch(() => {}); // only closes our end of the pipe
      }
    },
  };
}

/**
 * {@linkcode startProcess} through glibc's posix_spawn (see libc_spawn.ts):
 * the session is made before the shell runs, so there is no moment when
 * the task is still in the worker's group, and no `setsid` exec.
 */
function startInSession(spec: ProcessSpec, spawner: LibcSpawner): RunningProcess {
  const started = performance.now();
  const child = spawner.spawn({
    script: spec.command,
    cwd: spec.cwd,
    env: spec.env,
    stdoutPath: spec.stdoutPath,
    sentinelFd: SENTINEL_FD,
  });
  let exited = false;
  const done = child.status.then((status): ProcessOutcome => {
    exited = true;
    const usec = Math.max(0, Math.round((performance.now() - started) * 1000));
    const sig = status & 0x7f;
    const usage = child.usage;
    if (sig === 0) return { exit: (status >> 8) & 0xff, usec, usage };
    return { exit: sig, signal: sig, signalName: signalName(sig), usec, usage };
  });
  return {
    pid: child.pid,
    sessionLeader: true,
    done,
    kill() {
      // Until it is reaped its pid cannot be reused; after, only its group can be left.
      if (!killGroup(child.pid) && !exited) killProcess(child.pid);
    },
    lingering: () => child.sentinelOpen(),
    close: () => child.closeSentinel(),
  };
}

/** SIGKILLs a process group; returns false if there is no such group (gone, or not yet made). */
function killGroup(pgid: number): boolean {
  return killProcess(-pgid);
}

/** SIGKILLs a process (or a group, given `-pgid`); returns false if there is none. */
function killProcess(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGKILL");
    return true;
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    return false;
  }
}

/** The default {@linkcode Executor}: each task in its own process group. */
export const processExecutor: Executor = { start: startProcess };

/**
 * The {@linkcode Executor} of `--fast-spawn`: tasks stay in the worker's
 * process group (see {@linkcode ProcessSpec.sharedGroup}).
 */
export const sharedGroupExecutor: Executor = {
  start: (spec) => startProcess({ ...spec, sharedGroup: true }),
};

/**
 * The number of a signal name, as `kill -l` gives it.
 *
 * @param name E.g. `SIGKILL`.
 * @returns E.g. 9; 0 if unknown.
 */
export function signalNumber(name: string): number {
  return (constants.signals as Record<string, number>)[name] ?? 0;
}

/** Signal names by number; the first name wins where two share one (SIGABRT, not SIGIOT). */
const SIGNAL_NAMES = new Map<number, string>();
for (const [name, n] of Object.entries(constants.signals as Record<string, number>)) {
  if (!SIGNAL_NAMES.has(n)) SIGNAL_NAMES.set(n, name);
}

/**
 * The name of a signal number.
 *
 * @param n E.g. 9.
 * @returns E.g. `SIGKILL`; `SIG<n>` if unknown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(signalName(15), "SIGTERM");
 * ```
 */
export function signalName(n: number): string {
  return SIGNAL_NAMES.get(n) ?? `SIG${n}`;
}

/** Options for {@linkcode taskEnvironment}. */
export interface TaskEnvironmentOptions {
  /** The worker's own environment. */
  base: Record<string, string>;
  /** What the task holds. */
  resources: Resources;
  /** The sandbox path. */
  sandbox: string;
  /** The private temporary directory. */
  tmpdir: string;
  /** The task's `env` entries, applied last: a value sets, `undefined` unsets. */
  env: [string, string | undefined][];
}

/**
 * The environment of a task: the worker's, plus CORES, OMP_NUM_THREADS,
 * MEMORY, DISK, GPUS (when non-zero), WORK_QUEUE_SANDBOX and
 * TMPDIR/TEMP/TMP, then the task's own variables.
 *
 * @param options The parts.
 * @returns The complete environment.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const env = taskEnvironment({
 *   base: { PATH: "/bin", GPUS: "3" },
 *   resources: { cores: 2, memory: 100, disk: 50, gpus: 0 },
 *   sandbox: "/w/t.1",
 *   tmpdir: "/w/t.1/.wq-tmp",
 *   env: [["FOO", "bar"], ["PATH", undefined]],
 * });
 * assert.deepEqual(env, {
 *   CORES: "2",
 *   OMP_NUM_THREADS: "2",
 *   MEMORY: "100",
 *   DISK: "50",
 *   WORK_QUEUE_SANDBOX: "/w/t.1",
 *   TMP: "/w/t.1/.wq-tmp",
 *   TEMP: "/w/t.1/.wq-tmp",
 *   TMPDIR: "/w/t.1/.wq-tmp",
 *   FOO: "bar",
 * }); // PATH unset by the task, GPUS dropped: the task has none
 * ```
 */
export function taskEnvironment(options: TaskEnvironmentOptions): Record<string, string> {
  const env: Record<string, string> = { ...options.base };
  const r = options.resources;
  env.CORES = String(r.cores);
  env.OMP_NUM_THREADS = String(Math.max(1, r.cores));
  env.MEMORY = String(r.memory);
  env.DISK = String(r.disk);
  if (r.gpus > 0) env.GPUS = String(r.gpus);
  else delete env.GPUS;
  env.WORK_QUEUE_SANDBOX = options.sandbox;
  env.TMPDIR = env.TEMP = env.TMP = options.tmpdir;
  for (const [name, value] of options.env) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}
