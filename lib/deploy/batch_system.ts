/**
 * The seam between the worker submitter (`wq-submit-workers`, `wq-pool`) and
 * a batch system: how one worker job is described, submitted and cancelled.
 * Each system is a pure value in its own file; nothing here runs a process.
 *
 * @module
 */

/** One worker job, independent of the batch system. */
export interface WorkerJob {
  /** argv of the worker itself (the binary, or `deno run FLAGS worker/main.ts`). */
  command: string[];
  /** The worker's arguments, ending with `HOST PORT` or `-M PROJECT ...`. */
  args: string[];
  /** Cores, memory (MB) and disk (MB) requested from the batch system. */
  cores?: number;
  memory?: number;
  disk?: number;
  /** The job's name in the queue. */
  name: string;
  /** The directory the job starts in and writes its output to. */
  dir: string;
  /** The path of the job description (script or submit file) in `dir`. */
  script: string;
}

/** A batch system: pure builders of text and argv. */
export interface BatchSystem {
  /** The name given to `-T`. */
  readonly name: string;
  /** The job description written to `job.script`. */
  describe(job: WorkerJob): string;
  /** argv that submits the written description, with the pass-through options. */
  submitCommand(job: WorkerJob, batchOptions: string[]): string[];
  /** The job id in the submit command's standard output. */
  parseJobId(stdout: string): string;
  /** argv that cancels jobs. */
  cancelCommand(ids: string[]): string[];
  /** argv that lists the jobs still queued or running. */
  queueCommand(): string[];
  /** The job ids in the queue command's standard output. */
  parseQueue(stdout: string): string[];
}

/**
 * The first word of each line that starts with a digit (the job id column
 * of `qstat` and `squeue -h -o %i`).
 *
 * @param stdout A queue listing.
 * @returns The ids.
 */
export function leadingIds(stdout: string): string[] {
  return stdout.split("\n").map((l) => l.trim()).filter((l) => /^\d/.test(l)).map((l) =>
    l.split(/\s+/)[0]
  );
}

/**
 * Quotes one word for a POSIX shell.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shellQuote } from "./batch_system.ts";
 * assert.equal(shellQuote("it's"), `'it'\\''s'`);
 * ```
 * @param word Any string.
 * @returns The word in single quotes.
 */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * The shell lines that start the worker in a job: `cd` into the job's
 * directory and `exec` the worker.
 *
 * @param job The job.
 * @returns Lines of a POSIX shell script (no shebang).
 */
export function workerLines(job: WorkerJob): string[] {
  return [
    `cd ${shellQuote(job.dir)} || exit 1`,
    `exec ${[...job.command, ...job.args].map(shellQuote).join(" ")}`,
  ];
}

/**
 * The first whitespace-free word of a submit command's output, or a
 * `SyntaxError` naming the system.
 *
 * @param system The system's name, for the message.
 * @param stdout The output.
 * @param pattern A pattern whose first group is the id.
 * @returns The id.
 */
export function matchJobId(system: string, stdout: string, pattern: RegExp): string {
  const m = stdout.match(pattern);
  if (!m) {
    throw new SyntaxError(
      `Cannot read the job id from ${system}: output is '${stdout.trim().slice(0, 200)}'`,
    );
  }
  return m[1];
}
