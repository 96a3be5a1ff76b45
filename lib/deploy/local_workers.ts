/**
 * Workers on this machine, as child processes of a manager program: each is
 * one of our workers, single-shot, talking to a manager on 127.0.0.1. The
 * examples and `wq-run --workers N` start them so that a run needs nothing
 * but Deno; on a cluster, workers are started by other means (see
 * docs/deployment.md) and the same managers use them.
 *
 * @module
 */

/** The most bytes of a local worker's output kept (the last ones). */
const MAX_OUTPUT = 64 * 1024;

/** One local worker process, its captured output and its exit. */
export interface LocalWorker {
  /** The worker process. */
  child: Deno.ChildProcess;
  /** What it wrote to stdout and stderr so far (the last 64 KiB). */
  output(): string;
  /** Resolves when it has exited and its output has been read. */
  status: Promise<Deno.CommandStatus>;
  /** Whether it has exited. */
  exited: boolean;
}

/** How to start a local worker. */
export interface LocalWorkerOptions {
  /** argv of the worker program, e.g. `deno run FLAGS worker/main.ts`. */
  command: string[];
  /** Its workspace (`-s`); default the worker's own (`$TMPDIR`, else /tmp). */
  workdir?: string;
  /** Cores it offers (`--cores`); default it detects them. */
  cores?: number;
  /** Seconds it waits idle, or for its manager, before it gives up (`-t`); default the worker's. */
  idleTimeout?: number;
}

/**
 * Starts a single-shot worker for the manager at 127.0.0.1:`port`: it exits
 * when the manager closes (or goes away).
 *
 * @param port The manager's port.
 * @param options The worker program, its workspace, cores and idle timeout.
 * @returns The running worker.
 *
 * @example
 * ```ts ignore
 * const w = startLocalWorker(9123, { command: ["wq-worker"], cores: 1 });
 * console.log((await w.status).code);
 * ```
 */
export function startLocalWorker(port: number, options: LocalWorkerOptions): LocalWorker {
  const [exe, ...args] = options.command;
  const extra: string[] = [];
  if (options.cores !== undefined) extra.push("--cores", String(options.cores));
  if (options.idleTimeout !== undefined) extra.push("-t", String(options.idleTimeout));
  if (options.workdir !== undefined) extra.push("-s", options.workdir);
  const child = new Deno.Command(exe, {
    args: [...args, "--single-shot", ...extra, "127.0.0.1", String(port)],
    // Keep CCTools-style catalog lookups on this machine.
    env: { CATALOG_HOST: "127.0.0.1", CATALOG_PORT: "9" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) {
      text += decoder.decode(chunk, { stream: true });
      if (text.length > MAX_OUTPUT) text = text.slice(-MAX_OUTPUT);
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const w: LocalWorker = {
    child,
    output: () => text,
    status: child.status.then(async (s) => {
      w.exited = true;
      await pumps;
      return s;
    }),
    exited: false,
  };
  return w;
}

/**
 * Waits for the workers to exit (after their manager closed), kills those
 * still running after `timeoutMs`, and reports on stderr, as `PROGRAM: ...`,
 * each that did not exit cleanly, except those stopped on purpose.
 *
 * @param workers The workers.
 * @param program The name to report under.
 * @param options `timeoutMs` (default 15000) and `stopped`: workers that were stopped on purpose.
 * @returns Whether every other worker exited by itself with status 0.
 *
 * @example
 * ```ts ignore
 * const ok = await reapLocalWorkers(workers, "demo");
 * ```
 */
export async function reapLocalWorkers(
  workers: LocalWorker[],
  program: string,
  options: { timeoutMs?: number; stopped?: Set<LocalWorker> } = {},
): Promise<boolean> {
  const exited = Promise.all(workers.map((w) => w.status));
  const timeout = pause(options.timeoutMs ?? 15_000).then(() => "timeout" as const);
  if (await Promise.race([exited, timeout]) === "timeout") {
    console.error(`${program}: workers did not exit in time; killing them`);
    for (const w of workers) if (!w.exited) w.child.kill("SIGKILL");
  }
  let ok = true;
  (await exited).forEach((st, i) => {
    if (!st.success && !options.stopped?.has(workers[i])) {
      ok = false;
      console.error(`${program}: worker ${i + 1} exited with ${st.code}:\n${workers[i].output()}`);
    }
  });
  return ok;
}

/**
 * Sleeps without keeping the process alive.
 *
 * @param ms Milliseconds.
 * @returns A promise that resolves after `ms`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 *
 * // pause() alone would let this program end; a plain timer keeps it alive.
 * const alive = setTimeout(() => {}, 10_000);
 * let paused = false;
 * await pause(5).then(() => paused = true);
 * clearTimeout(alive);
 * assert.equal(paused, true);
 * ```
 */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const id = setTimeout(resolve, ms);
    Deno.unrefTimer(id);
  });
}
