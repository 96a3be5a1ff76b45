/**
 * wq-pool: keeps between `--min` and `--max` workers alive, locally or on a
 * batch system, and with `-M PROJECT -C CATALOG` sizes itself to the tasks
 * of the matching managers.
 *
 * ```sh
 * wq-pool -T local --min 2 --max 2 manager.example.org 9123
 * wq-pool -T slurm --min 0 --max 50 --cores 1 -M myproject -C catalog.example.org:9097
 * ```
 *
 * Takes every option of `wq-submit-workers` except COUNT, plus `--min N`,
 * `--max N` and `--interval SECONDS` (default 5). Runs until SIGINT or
 * SIGTERM, then stops its workers and cancels its jobs.
 *
 * @module
 */

import { resolveCatalogs } from "../lib/catalog/client.ts";
import { Pool } from "../lib/deploy/pool.ts";
import { parseSubmitArgs, SUBMIT_USAGE } from "../lib/deploy/submit.ts";
import { defaultWorkerCommand } from "../tools/entrypoints.ts";
import { errorMessage } from "../lib/errors.ts";

/** Usage of wq-pool. */
const USAGE = `Usage: wq-pool -T SYSTEM --min N --max N [--interval S] [options] HOST PORT
       wq-pool -T SYSTEM --min N --max N [--interval S] [options] -M PROJECT [-C CATALOG]

Other options as for wq-submit-workers:
${SUBMIT_USAGE.split("\n").slice(5).join("\n")}`;

function take(args: string[], name: string): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}`) {
      value = args[i + 1];
      args.splice(i, 2);
      i--;
    } else if (args[i].startsWith(`--${name}=`)) {
      value = args[i].slice(name.length + 3);
      args.splice(i, 1);
      i--;
    }
  }
  return value;
}

function count(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    throw new RangeError(`Cannot use option '--${name}': current value is '${v}'`);
  }
  return n;
}

if (import.meta.main) {
  let pool: Pool;
  try {
    const args = [...Deno.args];
    const min = count("min", take(args, "min"), 0);
    const max = count("max", take(args, "max"), Math.max(1, min));
    const interval = count("interval", take(args, "interval"), 5);
    const o = parseSubmitArgs([...args, "1"], defaultWorkerCommand());
    if (o === "help") {
      console.log(USAGE);
      Deno.exit(0);
    }
    const catalog = o.project !== undefined ? resolveCatalogs(o.catalog)[0] : undefined;
    const ac = new AbortController();
    for (const s of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(s, () => ac.abort());
    pool = new Pool({
      submit: o,
      min,
      max,
      catalog,
      intervalMs: interval * 1000,
      signal: ac.signal,
    });
  } catch (e) {
    console.error(`wq-pool: ${errorMessage(e)} (see --help)`);
    Deno.exit(1);
  }
  await pool.closed();
  console.log("pool: stopped");
  Deno.exit(0);
}
