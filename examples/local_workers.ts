/**
 * Local workers for the examples: lib/deploy/local_workers.ts with our
 * worker run from source, with `deno run` and the permission flags of
 * `tools/entrypoints.ts`, as the worker program.
 *
 * @module
 */

import type { QueueEvent } from "../mod.ts";
import { denoRunArgs } from "../tools/entrypoints.ts";
import {
  type LocalWorker,
  type LocalWorkerOptions,
  startLocalWorker as startWorker,
} from "../lib/deploy/local_workers.ts";

export { type LocalWorker, pause, reapLocalWorkers } from "../lib/deploy/local_workers.ts";

/**
 * Starts a single-shot worker, run from source, for the manager at
 * 127.0.0.1:`port`: it exits when the manager closes.
 *
 * @param port The manager's port.
 * @param options Workspace (under the system temporary directory), cores and idle timeout.
 * @returns The running worker.
 *
 * @example
 * ```ts ignore
 * const w = startLocalWorker(9123, { workdir: "/tmp/w1", cores: 1 });
 * console.log((await w.status).code);
 * ```
 */
export function startLocalWorker(
  port: number,
  options: Omit<LocalWorkerOptions, "command">,
): LocalWorker {
  return startWorker(port, { idleTimeout: 120, ...options, command: denoRunArgs("worker") });
}

/**
 * Waits, on the queue's events, until `n` workers have joined. Start the
 * stream (`wq.events()`) before the workers, so that no join is missed.
 *
 * @param events The queue's event stream, started before the workers.
 * @param n How many workers to wait for.
 * @param options The local workers (fail at once when all of them exit)
 * and how long to wait in ms (default 60 s; `Infinity` for ever).
 * @throws {Error} If the time runs out, or every local worker exits first.
 */
export async function untilWorkersJoin(
  events: AsyncIterableIterator<QueueEvent>,
  n: number,
  options: { workers?: LocalWorker[]; timeoutMs?: number } = {},
): Promise<void> {
  const workers = options.workers ?? [];
  const ac = new AbortController();
  const timeoutMs = options.timeoutMs ?? 60_000;
  const timer = Number.isFinite(timeoutMs)
    ? setTimeout(() => ac.abort(new Error(`Timed out waiting for ${n} workers to join`)), timeoutMs)
    : undefined;
  if (workers.length > 0) {
    Promise.all(workers.map((w) => w.status)).then(() => {
      ac.abort(new Error(`Cannot start: every local worker exited:\n${workers[0].output()}`));
    });
  }
  const stopped = new Promise<never>((_, reject) => {
    ac.signal.addEventListener("abort", () => reject(ac.signal.reason), { once: true });
  });
  stopped.catch(() => {}); // the workers exit long after a success
  let joined = 0;
  try {
    while (joined < n) {
      const next = await Promise.race([events.next(), stopped]);
      if (next.done) throw new Error(`Cannot start: the queue closed while waiting for workers`);
      if (next.value.type === "worker-joined") joined++;
    }
  } finally {
    clearTimeout(timer);
  }
}
