/**
 * HTCondor: a shell script plus a submit description (`JOB.submit`)
 * submitted with `condor_submit`. Untested against a live scheduler (not
 * packaged for Debian 12); the text is unit-tested. The worker runs in the
 * vanilla universe on a shared filesystem (the command must exist there).
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

/** HTCondor. `describe` gives the submit description; the script is its `executable`. */
export const condor: BatchSystem = {
  name: "condor",
  describe(job: WorkerJob): string {
    const lines = [
      "universe = vanilla",
      `executable = ${job.script}.sh`,
      `initialdir = ${job.dir}`,
      `output = ${job.name}.$(Cluster).$(Process).out`,
      `error = ${job.name}.$(Cluster).$(Process).err`,
      `log = ${job.name}.log`,
      "getenv = true",
      "should_transfer_files = NO",
    ];
    if (job.cores !== undefined) lines.push(`request_cpus = ${job.cores}`);
    if (job.memory !== undefined) lines.push(`request_memory = ${job.memory}`);
    if (job.disk !== undefined) lines.push(`request_disk = ${job.disk * 1024}`);
    return [...lines, "queue 1", ""].join("\n");
  },
  submitCommand(job: WorkerJob, batchOptions: string[]): string[] {
    return ["condor_submit", ...batchOptions, job.script];
  },
  parseJobId(stdout: string): string {
    return matchJobId("condor_submit", stdout, /submitted to cluster (\d+)/);
  },
  cancelCommand(ids: string[]): string[] {
    return ["condor_rm", ...ids];
  },
  queueCommand(): string[] {
    return ["condor_q", "-af", "ClusterId"];
  },
  parseQueue(stdout: string): string[] {
    return leadingIds(stdout);
  },
};

/**
 * The executable HTCondor runs, written beside the submit description.
 *
 * @param job The job.
 * @returns The shell script.
 */
export function condorExecutable(job: WorkerJob): string {
  return ["#!/bin/sh", ...workerLines(job), ""].join("\n");
}
