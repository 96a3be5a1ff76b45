/**
 * wq-worker: a Work Queue worker (protocol 9) compatible with CCTools
 * managers.
 *
 * Usage:
 *
 * ```sh
 * deno task worker [--cores N] [--memory MB] [--disk MB] [-t 900] [--single-shot] \
 *   [-s WORKDIR] [-d all] [-o debug.log] HOST PORT        # or HOST:PORT
 * ```
 *
 * `deno task worker` runs, in the repository root, the command line of
 * `tools/entrypoints.ts`:
 *
 * ```sh
 * deno run --allow-read=/tmp,.,/proc/driver/nvidia/gpus --allow-write=/tmp,. --allow-net \
 *   --allow-run --allow-env --allow-sys --allow-ffi worker/main.ts [options] HOST PORT
 * ```
 *
 * `--help` lists every option. Exit status: 0 after a normal stop (the
 * manager's `exit`, the idle timeout, `--single-shot`, a signal), 1 for bad
 * options or when the worker cannot start.
 *
 * @module
 */

import { parseWorkerArgs } from "../lib/worker/options.ts";
import { runWorker } from "../lib/worker/run_worker.ts";
import { errorMessage } from "../lib/errors.ts";
import { foremanLoop } from "../lib/foreman/foreman_loop.ts";

export { parseWorkerArgs, runWorker };
export type { WorkerAction, WorkerOptions } from "../lib/worker/options.ts";

if (import.meta.main) {
  let options;
  try {
    options = parseWorkerArgs(Deno.args);
  } catch (e) {
    console.error(`wq-worker: ${errorMessage(e)} (see --help)`);
    Deno.exit(1);
  }
  Deno.exit(
    await runWorker(options, options.action === "run" && options.foreman ? foremanLoop : undefined),
  );
}
