// wq-submit-workers against the real SLURM of this machine: two workers go
// through sbatch, connect to a manager on loopback and run tasks.

import { submitAndRun } from "./_batch.ts";

Deno.test({
  name: "wq-submit-workers -T slurm: two workers connect and run tasks",
  async fn() {
    await submitAndRun("slurm");
  },
});
