/**
 * Helpers for tests that run real processes over loopback: temporary
 * directories, our worker, CCTools' worker, Python managers, and polling.
 *
 * @module
 */

import { denoRunArgs, ROOT } from "../tools/entrypoints.ts";

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
  /** Sends a signal if it still runs. */
  kill(signal?: Deno.Signal): void;
  /**
   * SIGKILLs the process and all its descendants, as when its machine dies
   * (a killed worker's task would otherwise keep its socket open).
   */
  killTree(): void;
}

/** The pids of a process's descendants, from /proc. */
function descendants(pid: number): number[] {
  const out: number[] = [];
  let children: string;
  try {
    children = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`);
  } catch {
    return out;
  }
  for (const c of children.trim().split(/\s+/).filter(Boolean).map(Number)) {
    out.push(c, ...descendants(c));
  }
  return out;
}

/** Options for {@linkcode spawn}. */
export interface SpawnOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Print the process's output live (for debugging a test). */
  echo?: boolean;
}

/** Spawns a process capturing its output; disposal kills it and waits. */
export function spawn(argv: string[], options: SpawnOptions = {}): Proc {
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) {
      const t = decoder.decode(chunk, { stream: true });
      text += t;
      if (options.echo) Deno.stderr.writeSync(chunk);
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  // A killed process may leave children that hold its pipes open: wait for
  // its output only briefly once it has exited.
  const status = child.status.then(async (s) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([pumps, new Promise((r) => timer = setTimeout(r, 1000))]);
    clearTimeout(timer);
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
    const pids = descendants(child.pid);
    kill("SIGKILL");
    for (const p of pids) {
      try {
        Deno.kill(p, "SIGKILL");
      } catch {
        // it exited meanwhile
      }
    }
  };
  return {
    child,
    log: () => text,
    status,
    kill,
    killTree,
    async [Symbol.asyncDispose]() {
      kill("SIGKILL");
      await status;
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
  if (options.hostname !== undefined) {
    // CCTools' worker resolves its own name, so the name also goes into a
    // private /etc/hosts (bind-mounted in a private mount namespace).
    const hosts = Deno.makeTempFileSync({ prefix: "wq-hosts-" });
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
  return spawn([...uts, ...base, ...(options.args ?? []), ...address], {
    ...options,
    env: { CATALOG_HOST: "127.0.0.1", CATALOG_PORT: "1", ...options.env },
  });
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
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

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
