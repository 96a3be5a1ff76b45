// wq-submit-workers against the real Grid Engine of this machine: two
// workers go through qsub, connect to a manager on loopback and run tasks.

import { submitAndRun } from "./_batch.ts";

Deno.test({
  name: "wq-submit-workers -T sge: two workers connect and run tasks",
  async fn() {
    await submitAndRun("sge");
  },
});
