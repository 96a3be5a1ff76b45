/**
 * Grid Engine (SGE, Son of Grid Engine, UGE): a `#$` script submitted with
 * `qsub -terse`. Cores above one are requested from the parallel
 * environment named by `pe` (default `smp`); memory as `h_vmem` per slot is
 * site-specific, so it is passed only with the pass-through options.
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

/**
 * Makes the Grid Engine system.
 *
 * @param pe The parallel environment for multi-core workers.
 * @returns The system.
 */
export function gridEngine(pe = "smp"): BatchSystem {
  return {
    name: "sge",
    describe(job: WorkerJob): string {
      const lines = [
        "#!/bin/sh",
        `#$ -N ${job.name}`,
        "#$ -S /bin/sh",
        "#$ -V",
        "#$ -j y",
        `#$ -o ${job.dir}`,
        `#$ -wd ${job.dir}`,
      ];
      if (job.cores !== undefined && job.cores > 1) lines.push(`#$ -pe ${pe} ${job.cores}`);
      return [...lines, ...workerLines(job), ""].join("\n");
    },
    submitCommand(job: WorkerJob, batchOptions: string[]): string[] {
      return ["qsub", "-terse", ...batchOptions, job.script];
    },
    parseJobId(stdout: string): string {
      return matchJobId("qsub", stdout, /^\s*(\d+)/);
    },
    cancelCommand(ids: string[]): string[] {
      return ["qdel", ...ids];
    },
    queueCommand(): string[] {
      return ["qstat"];
    },
    parseQueue(stdout: string): string[] {
      return leadingIds(stdout);
    },
  };
}

/** Grid Engine with the `smp` parallel environment. */
export const sge: BatchSystem = gridEngine();
