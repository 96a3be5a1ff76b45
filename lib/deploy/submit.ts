/**
 * Submitting workers: the command line of `wq-submit-workers` and the
 * submission itself (write one job description per worker, run the batch
 * system's submit command, collect job ids). `local` starts the workers as
 * detached processes on this machine instead.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { BATCH_SYSTEMS } from "./batch_systems.ts";
import { type BatchSystem, shellQuote, type WorkerJob } from "./batch_system.ts";
import { condor, condorExecutable } from "./condor.ts";

/** Everything a submission needs. */
export interface SubmitOptions {
  /** `local` or a key of {@linkcode BATCH_SYSTEMS}. */
  system: string;
  /** The manager, or `project` with `catalog`. */
  host?: string;
  port?: number;
  project?: string;
  catalog?: string;
  /** How many workers. */
  count: number;
  cores?: number;
  memory?: number;
  disk?: number;
  /** The worker's idle timeout in seconds (`-t`). */
  timeout?: number;
  /** Extra worker options, passed through. */
  workerOptions: string[];
  /** Extra options for the submit command (`sbatch`, `qsub`, ...), passed through. */
  batchOptions: string[];
  /** argv of the worker. */
  workerCommand: string[];
  /** Where job descriptions and job output go (default: a new temporary directory). */
  dir?: string;
  /** Job name. Default `wq-worker`. */
  name: string;
}

/** The usage text of `wq-submit-workers`. */
export const SUBMIT_USAGE: string = `Usage: wq-submit-workers -T SYSTEM [options] HOST PORT COUNT
       wq-submit-workers -T SYSTEM [options] -M PROJECT [-C CATALOG] COUNT

SYSTEM is local, slurm, sge, condor, pbs or torque (condor, pbs and torque are
untested against a live scheduler).

  -T, --batch-type SYSTEM   The batch system (required)
  -M, --project PROJECT     Workers find managers of PROJECT in the catalog
  -C, --catalog HOST:PORT   The catalog for -M
      --cores N             Cores per worker (requested from the batch system too)
      --memory MB           Memory per worker
      --disk MB             Disk per worker
  -t, --timeout SECONDS     The workers' idle timeout (default 900)
  -E, --worker-options STR  More worker options (split at spaces)
  -p, --batch-options STR   Options for the submit command (split at spaces)
      --worker-command STR  The worker to run (split at spaces; default: wq-worker
                            beside this program, else deno run worker/main.ts)
  -d, --submit-dir DIR      Job descriptions and output go here (default: a new
                            directory under $TMPDIR)
  -N, --name NAME           Job name (default wq-worker)
  -h, --help                This text`;

function positiveInt(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`Cannot use option '${name}': current value is '${v}'`);
  }
  return n;
}

function words(v: string | undefined): string[] {
  return (v ?? "").split(/\s+/).filter(Boolean);
}

/**
 * Parses `wq-submit-workers`' command line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSubmitArgs } from "./submit.ts";
 * const o = parseSubmitArgs(["-T", "slurm", "--cores", "2", "h", "9123", "3"], ["wq-worker"]);
 * assert.ok(o !== "help");
 * assert.equal(o.system, "slurm");
 * assert.equal(o.count, 3);
 * assert.equal(o.cores, 2);
 * assert.deepEqual([o.host, o.port], ["h", 9123]);
 * ```
 * @param args The arguments.
 * @param defaultWorker argv of the worker when `--worker-command` is not given.
 * @returns The options, or `"help"`.
 */
export function parseSubmitArgs(args: string[], defaultWorker: string[]): SubmitOptions | "help" {
  const { values: v, positionals: p } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      "batch-type": { type: "string", short: "T" },
      project: { type: "string", short: "M" },
      catalog: { type: "string", short: "C" },
      cores: { type: "string" },
      memory: { type: "string" },
      disk: { type: "string" },
      timeout: { type: "string", short: "t" },
      "worker-options": { type: "string", short: "E" },
      "batch-options": { type: "string", short: "p" },
      "worker-command": { type: "string" },
      "submit-dir": { type: "string", short: "d" },
      name: { type: "string", short: "N" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (v.help) return "help";
  const system = v["batch-type"];
  if (system === undefined) throw new TypeError("Cannot submit workers: option '-T' is missing");
  if (system !== "local" && !(system in BATCH_SYSTEMS)) {
    throw new RangeError(
      `Cannot use option '-T': current value is '${system}' (local, ${
        Object.keys(BATCH_SYSTEMS).join(", ")
      })`,
    );
  }
  const want = v.project !== undefined ? 1 : 3;
  if (p.length !== want) {
    throw new TypeError(
      `Cannot submit workers: expected ${
        want === 1 ? "COUNT" : "HOST PORT COUNT"
      } but found ${p.length} argument(s)`,
    );
  }
  const o: SubmitOptions = {
    system,
    count: positiveInt("COUNT", p[want - 1])!,
    workerOptions: words(v["worker-options"]),
    batchOptions: words(v["batch-options"]),
    workerCommand: v["worker-command"] !== undefined ? words(v["worker-command"]) : defaultWorker,
    name: v.name ?? "wq-worker",
    cores: positiveInt("--cores", v.cores),
    memory: positiveInt("--memory", v.memory),
    disk: positiveInt("--disk", v.disk),
    timeout: positiveInt("--timeout", v.timeout),
  };
  if (v.project !== undefined) {
    o.project = v.project;
    o.catalog = v.catalog;
  } else {
    o.host = p[0];
    o.port = positiveInt("PORT", p[1]);
  }
  if (v["submit-dir"] !== undefined) o.dir = v["submit-dir"];
  if (o.workerCommand.length === 0) {
    throw new RangeError("Cannot use option '--worker-command': it is empty");
  }
  return o;
}

/**
 * The worker's arguments for a submission.
 *
 * @param o The options.
 * @returns Worker argv after the command.
 */
export function workerArgs(o: SubmitOptions): string[] {
  const a: string[] = [];
  if (o.cores !== undefined) a.push("--cores", String(o.cores));
  if (o.memory !== undefined) a.push("--memory", String(o.memory));
  if (o.disk !== undefined) a.push("--disk", String(o.disk));
  a.push("-t", String(o.timeout ?? 900), ...o.workerOptions);
  if (o.project !== undefined) {
    a.push("-M", o.project);
    if (o.catalog !== undefined) a.push("-C", o.catalog);
  } else {
    a.push(o.host!, String(o.port));
  }
  return a;
}

/** One submitted worker. */
export interface SubmittedJob {
  /** The system it went to. */
  system: string;
  /** The job id (the pid for `local`). */
  id: string;
  /** Its job description. */
  script: string;
}

async function run(argv: string[], cwd: string): Promise<string> {
  const out = await new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim();
    throw new Error(`Cannot run '${argv.join(" ")}': exit status ${out.code}: ${err}`);
  }
  return text;
}

/**
 * Writes the job description(s) of one worker and submits it.
 *
 * @param o The options (`count` is ignored: this submits one).
 * @param index The worker's number, for file names.
 * @returns The job.
 */
export async function submitOne(o: SubmitOptions, index: number): Promise<SubmittedJob> {
  const dir = o.dir ?? await Deno.makeTempDir({ prefix: "wq-submit-" });
  o.dir = dir;
  const stamp = `${Date.now().toString(36)}-${index}`;
  const job: WorkerJob = {
    command: o.workerCommand,
    args: workerArgs(o),
    cores: o.cores,
    memory: o.memory,
    disk: o.disk,
    name: o.name,
    dir,
    script: `${dir}/${o.name}-${stamp}.${o.system === "condor" ? "submit" : "sh"}`,
  };
  if (o.system === "local") {
    await Deno.writeTextFile(job.script, localScript(job), { mode: 0o755 });
    const child = new Deno.Command("/bin/sh", {
      args: ["-c", 'exec /bin/sh "$0" > "$1" 2>&1', job.script, `${dir}/${o.name}-${stamp}.out`],
      cwd: dir,
      stdin: "null",
      stdout: "null",
      stderr: "null",
      detached: true,
    }).spawn();
    child.unref();
    return { system: "local", id: String(child.pid), script: job.script };
  }
  const system: BatchSystem = BATCH_SYSTEMS[o.system];
  await Deno.writeTextFile(job.script, system.describe(job), { mode: 0o755 });
  if (system === condor) {
    await Deno.writeTextFile(`${job.script}.sh`, condorExecutable(job), { mode: 0o755 });
  }
  const out = await run(system.submitCommand(job, o.batchOptions), dir);
  return { system: o.system, id: system.parseJobId(out), script: job.script };
}

function localScript(job: WorkerJob): string {
  return `#!/bin/sh\nexec ${[...job.command, ...job.args].map(shellQuote).join(" ")}\n`;
}

/**
 * Submits `o.count` workers, one job each.
 *
 * @param o The options.
 * @returns The jobs.
 */
export async function submitWorkers(o: SubmitOptions): Promise<SubmittedJob[]> {
  const jobs: SubmittedJob[] = [];
  for (let i = 0; i < o.count; i++) jobs.push(await submitOne(o, i));
  return jobs;
}

/**
 * Cancels jobs (SIGTERM for local workers).
 *
 * @param system The system they went to.
 * @param ids Their ids.
 */
export async function cancelJobs(system: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  if (system === "local") {
    for (const id of ids) {
      try {
        Deno.kill(Number(id), "SIGTERM");
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
    }
    return;
  }
  await run(BATCH_SYSTEMS[system].cancelCommand(ids), "/");
}
