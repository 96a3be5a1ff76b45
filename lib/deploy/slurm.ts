/**
 * SLURM: a `#SBATCH` script submitted with `sbatch --parsable`.
 *
 * @module
 */

import {
  type BatchSystem,
  leadingIds,
  matchJobId,
  type WorkerJob,
  workerLines,
} from "./batch_system.ts";

/** SLURM, one worker per job (one task, one node). */
export const slurm: BatchSystem = {
  name: "slurm",
  describe(job: WorkerJob): string {
    const lines = [
      "#!/bin/sh",
      `#SBATCH --job-name=${job.name}`,
      "#SBATCH --ntasks=1",
      "#SBATCH --nodes=1",
      `#SBATCH --output=${job.dir}/%x-%j.out`,
    ];
    if (job.cores !== undefined) lines.push(`#SBATCH --cpus-per-task=${job.cores}`);
    if (job.memory !== undefined) lines.push(`#SBATCH --mem=${job.memory}M`);
    if (job.disk !== undefined) lines.push(`#SBATCH --tmp=${job.disk}M`);
    return [...lines, ...workerLines(job), ""].join("\n");
  },
  submitCommand(job: WorkerJob, batchOptions: string[]): string[] {
    return ["sbatch", "--parsable", `--chdir=${job.dir}`, ...batchOptions, job.script];
  },
  parseJobId(stdout: string): string {
    return matchJobId("sbatch", stdout, /^\s*(\d+)/);
  },
  cancelCommand(ids: string[]): string[] {
    return ["scancel", ...ids];
  },
  queueCommand(): string[] {
    return ["squeue", "-h", "-o", "%i"];
  },
  parseQueue(stdout: string): string[] {
    return leadingIds(stdout);
  },
};
