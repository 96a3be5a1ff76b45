/**
 * Local workers for the examples: lib/deploy/local_workers.ts with our
 * worker run from source, with `deno run` and the permission flags of
 * `tools/entrypoints.ts`, as the worker program.
 *
 * @module
 */

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
