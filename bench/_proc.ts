/**
 * Child processes for the benchmark: spawned in their own session, with the
 * tail of their output kept, and killed as a whole tree (CCTools' worker
 * leaks its socket into its tasks, and a hung run must leave nothing behind).
 *
 * @module
 */

/** How much of a child's standard error is kept for error messages. */
const KEEP_BYTES = 64 * 1024;

/** A child process with its standard output collected and stderr's tail. */
export interface BenchProc extends AsyncDisposable {
  child: Deno.ChildProcess;
  /** Resolves with the exit status once the process has exited. */
  status: Promise<Deno.CommandStatus>;
  /** All of standard output (when `stdout: "collect"`) once it has exited. */
  stdout(): string;
  /** The last 64 KiB of standard error. */
  stderr(): string;
  /** SIGKILLs the process group, the process and every descendant. */
  killTree(): void;
}

/** Options for {@linkcode spawnProc}. */
export interface SpawnProcOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Collect standard output (default) or drop it. */
  stdout?: "collect" | "null";
}

/** The pids of a process's descendants, from /proc. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  let children: string;
  try {
    children = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`);
  } catch {
    return out; // it has exited
  }
  for (const c of children.trim().split(/\s+/).filter(Boolean).map(Number)) {
    out.push(c, ...descendants(c));
  }
  return out;
}

function tryKill(pid: number): void {
  try {
    Deno.kill(pid, "SIGKILL");
  } catch {
    // it has exited already
  }
}

/**
 * Spawns `argv` in a new session (so its whole process group can be killed)
 * with no stdin.
 *
 * @param argv The program and its arguments.
 * @param options Working directory, environment and what to do with stdout.
 * @returns The process handle; disposing it kills the tree and waits.
 */
export function spawnProc(argv: string[], options: SpawnProcOptions = {}): BenchProc {
  const collect = (options.stdout ?? "collect") === "collect";
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: collect ? "piped" : "null",
    stderr: "piped",
    detached: true,
  }).spawn();
  const decoder = new TextDecoder();
  let out = "";
  let err = "";
  const pumps: Promise<void>[] = [];
  if (collect) {
    pumps.push((async () => {
      for await (const c of child.stdout) out += decoder.decode(c, { stream: true });
    })());
  }
  pumps.push((async () => {
    const d = new TextDecoder();
    for await (const c of child.stderr) {
      err += d.decode(c, { stream: true });
      if (err.length > 2 * KEEP_BYTES) err = err.slice(-KEEP_BYTES);
    }
  })());
  let exited = false;
  const status = child.status.then(async (s) => {
    exited = true;
    // Descendants may hold the pipes open: wait for the output only briefly.
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(pumps),
      new Promise((r) => timer = setTimeout(r, 2000)),
    ]);
    clearTimeout(timer);
    return s;
  });
  const killTree = () => {
    const pids = descendants(child.pid);
    if (!exited) tryKill(child.pid);
    try {
      Deno.kill(-child.pid, "SIGKILL"); // the session's process group
    } catch {
      // the group is empty
    }
    for (const p of pids) tryKill(p);
  };
  return {
    child,
    status,
    stdout: () => out,
    stderr: () => err.slice(-KEEP_BYTES),
    killTree,
    async [Symbol.asyncDispose]() {
      killTree();
      await status;
    },
  };
}

/**
 * Waits for a process to exit, killing its tree after `ms`.
 *
 * @param proc The process.
 * @param ms The time limit in milliseconds.
 * @returns The exit status, or `null` if it was killed for taking too long.
 */
export async function waitOrKill(
  proc: BenchProc,
  ms: number,
): Promise<Deno.CommandStatus | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((r) => timer = setTimeout(() => r(null), ms));
  const s = await Promise.race([proc.status, timeout]);
  clearTimeout(timer);
  if (s === null) {
    proc.killTree();
    await proc.status;
  }
  return s;
}
