// The simulated workers of the sim-workers benchmark (bench/sim_workers.ts)
// against our manager over loopback: they turn the fast path on as our worker
// does, and speak plain protocol 9 without it.

import assert from "node:assert/strict";
import { Task, WORK_QUEUE_RESULT_SUCCESS, WorkQueue } from "../mod.ts";
import { simulateWorkers } from "../bench/sim_workers.ts";
import { waitAll } from "./_harness.ts";

for (const fastPath of [true, false]) {
  Deno.test(`simulated workers ${fastPath ? "on the fast path" : "in plain protocol 9"} answer every task once`, async () => {
    const logs: string[] = [];
    await using wq = new WorkQueue({
      port: 0,
      debug: true,
      logger: (l, m) => logs.push(`${l}: ${m}`),
    });
    await using sim = await simulateWorkers({ port: wq.port, workers: 3, fastPath });
    const tasks = Array.from({ length: 60 }, () => new Task("/bin/true"));
    for (const t of tasks) wq.submit(t);
    const done = await waitAll(wq, tasks.length);
    for (const t of tasks) {
      assert.equal(done.get(t.id), t);
      assert.equal(t.result, WORK_QUEUE_RESULT_SUCCESS);
    }
    assert.equal(sim.results, tasks.length);
    assert.equal(sim.fastPaths, fastPath ? 3 : 0);
    const ahead = logs.some((l) => /^debug: task \d+ ready -> sending: queued ahead$/.test(l));
    assert.equal(ahead, fastPath, logs.join("\n"));
  });
}
