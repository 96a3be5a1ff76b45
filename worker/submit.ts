/**
 * wq-submit-workers: submits workers to a batch system (`slurm`, `sge`,
 * `condor`, `pbs`, `torque`) or starts them locally (`local`).
 *
 * ```sh
 * wq-submit-workers -T slurm --cores 1 -t 300 manager.example.org 9123 10
 * wq-submit-workers -T sge -M myproject -C catalog.example.org:9097 4
 * ```
 *
 * Prints one `submitted SYSTEM JOBID SCRIPT` line per worker. Exit status 0
 * when every worker was submitted, 1 otherwise.
 *
 * @module
 */

import { parseSubmitArgs, SUBMIT_USAGE, submitWorkers } from "../lib/deploy/submit.ts";
import { defaultWorkerCommand } from "../tools/entrypoints.ts";
import { errorMessage } from "../lib/errors.ts";

if (import.meta.main) {
  let options;
  try {
    options = parseSubmitArgs(Deno.args, defaultWorkerCommand());
  } catch (e) {
    console.error(`wq-submit-workers: ${errorMessage(e)} (see --help)`);
    Deno.exit(1);
  }
  if (options === "help") {
    console.log(SUBMIT_USAGE);
    Deno.exit(0);
  }
  try {
    for (const j of await submitWorkers(options)) {
      console.log(`submitted ${j.system} ${j.id} ${j.script}`);
    }
  } catch (e) {
    console.error(`wq-submit-workers: ${errorMessage(e)}`);
    Deno.exit(1);
  }
}
