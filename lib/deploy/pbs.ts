/**
 * PBS and Torque: a `#PBS` script submitted with `qsub`. Untested against a
 * live scheduler (neither is packaged for Debian 12); the text is unit-tested.
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
 * Makes the PBS-family system.
 *
 * @param name `pbs` or `torque`.
 * @returns The system.
 */
export function pbsFamily(name: "pbs" | "torque"): BatchSystem {
  return {
    name,
    describe(job: WorkerJob): string {
      const lines = [
        "#!/bin/sh",
        `#PBS -N ${job.name}`,
        "#PBS -j oe",
        `#PBS -o ${job.dir}`,
        "#PBS -V",
      ];
      lines.push(`#PBS -l nodes=1:ppn=${job.cores ?? 1}`);
      if (job.memory !== undefined) lines.push(`#PBS -l mem=${job.memory}mb`);
      if (job.disk !== undefined) lines.push(`#PBS -l file=${job.disk}mb`);
      return [...lines, ...workerLines(job), ""].join("\n");
    },
    submitCommand(job: WorkerJob, batchOptions: string[]): string[] {
      return ["qsub", ...batchOptions, job.script];
    },
    parseJobId(stdout: string): string {
      return matchJobId("qsub", stdout, /^\s*(\S+)/);
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

/** PBS Pro / OpenPBS. */
export const pbs: BatchSystem = pbsFamily("pbs");
/** Torque. */
export const torque: BatchSystem = pbsFamily("torque");
