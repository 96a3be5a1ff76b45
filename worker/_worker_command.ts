/**
 * The worker that `wq-submit-workers` and `wq-pool` start by default.
 *
 * @module
 */

import { ENTRYPOINTS, ROOT } from "../tools/entrypoints.ts";

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * `wq-worker` beside this program when it is a compiled binary, else
 * `dist/wq-worker` if built, else `deno run FLAGS worker/main.ts` with the
 * worker's flags from `tools/entrypoints.ts`.
 *
 * @returns argv of the worker.
 */
export function defaultWorkerCommand(): string[] {
  const exe = Deno.execPath();
  const dir = exe.slice(0, exe.lastIndexOf("/"));
  const base = exe.slice(exe.lastIndexOf("/") + 1);
  if (base !== "deno" && isFile(`${dir}/wq-worker`)) return [`${dir}/wq-worker`];
  const built = `${ROOT}/${"dist"}/${ENTRYPOINTS.worker.binary}`;
  if (isFile(built)) return [built];
  return [
    exe,
    "run",
    "--quiet",
    ...ENTRYPOINTS.worker.permissions,
    `${ROOT}/${ENTRYPOINTS.worker.main}`,
  ];
}
