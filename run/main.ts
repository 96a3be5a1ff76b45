/**
 * wq-run: runs the tasks of a task file on the workers that connect, and
 * writes one JSON line per completed task.
 *
 * ```sh
 * deno task run tasks.txt                     # workers: deno task worker HOST 9123
 * deno task run --workers 4 --out results.jsonl tasks.txt
 * ```
 *
 * Exit status 0 when every task succeeded, 1 when one failed, 2 when nothing
 * was run (a bad option or task file). See docs/run.md.
 *
 * @module
 */

import { parseRunArgs, RUN_USAGE } from "../lib/run/options.ts";
import { EXIT, runTasks } from "../lib/run/run_tasks.ts";
import { errorMessage } from "../lib/errors.ts";
import { defaultWorkerCommand } from "../tools/entrypoints.ts";

if (import.meta.main) {
  let options;
  try {
    options = parseRunArgs(Deno.args);
  } catch (e) {
    console.error(`wq-run: ${errorMessage(e)} (see --help)`);
    Deno.exit(EXIT.badInput);
  }
  if (options === "help") {
    console.log(RUN_USAGE);
    Deno.exit(EXIT.ok);
  }
  try {
    Deno.exit(await runTasks(options, { workerCommand: defaultWorkerCommand() }));
  } catch (e) {
    // Results could not be written (a closed pipe, a full disk), or a worker not started.
    console.error(`wq-run: ${errorMessage(e)}`);
    Deno.exit(EXIT.failed);
  }
}
