/**
 * Workers the examples start on this machine: our worker from source, with
 * its output captured for when something goes wrong.
 *
 * @module
 */

import { denoRunArgs } from "../tools/entrypoints.ts";

/** One local worker, its captured output and its exit. */
export interface LocalWorker {
  child: Deno.ChildProcess;
  /** What it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves when it has exited and its output is read. */
  status: Promise<Deno.CommandStatus>;
  exited: boolean;
}

/**
 * Starts a single-shot worker for a manager on 127.0.0.1: it leaves when the
 * manager closes or goes away.
 *
 * @param port The manager's port.
 * @param options `workdir` (its workspace) and `cores` to offer.
 * @returns The worker.
 */
export function startLocalWorker(
  port: number,
  options: { workdir: string; cores: number },
): LocalWorker {
  const [exe, ...args] = denoRunArgs("worker");
  const child = new Deno.Command(exe, {
    args: [
      ...args,
      "--single-shot",
      "--cores",
      String(options.cores),
      "-t",
      "120",
      "-s",
      options.workdir,
      "127.0.0.1",
      String(port),
    ],
    // Keep CCTools-style catalog lookups on this machine.
    env: { CATALOG_HOST: "127.0.0.1", CATALOG_PORT: "9" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const pump = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) text += decoder.decode(chunk, { stream: true });
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
 * Waits for workers to exit, SIGKILLing those still there after `timeoutMs`.
 *
 * @param workers The workers (already told to go, or whose manager closed).
 * @param timeoutMs How long to wait before killing them.
 * @returns Their exit statuses, and whether any had to be killed.
 */
export async function waitForLocalWorkers(
  workers: LocalWorker[],
  timeoutMs: number,
): Promise<{ statuses: Deno.CommandStatus[]; killed: boolean }> {
  const exited = Promise.all(workers.map((w) => w.status));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<"late">((r) => timer = setTimeout(() => r("late"), timeoutMs));
  const killed = await Promise.race([exited, late]) === "late";
  clearTimeout(timer);
  if (killed) { for (const w of workers) if (!w.exited) w.child.kill("SIGKILL"); }
  return { statuses: await exited, killed };
}
