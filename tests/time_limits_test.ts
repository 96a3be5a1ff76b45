// A task's time limits (`specifyRunningTimeMax`, `specifyEndTime`; CCTools'
// wall_time and end_time): sent with the task, enforced by the worker, and
// returned as TASK_MAX_RUN_TIME or TASK_TIMEOUT, not retried. With our
// worker, CCTools' worker (which may act up to about 5 s late), and through
// our foreman, which passes them on to its own workers.

import assert from "node:assert/strict";
import {
  Task,
  WORK_QUEUE_RESULT_SUCCESS,
  WORK_QUEUE_RESULT_TASK_MAX_RUN_TIME,
  WORK_QUEUE_RESULT_TASK_TIMEOUT,
  WorkQueue,
} from "../mod.ts";
import { listeningPort, type Proc, startWorker, tempDir } from "./_harness.ts";

/** Runs the three kinds of limits, plus a task within them, and checks how each came back. */
async function checkLimits(wq: WorkQueue): Promise<void> {
  const overRun = new Task("sleep 30").specifyCores(1).specifyRunningTimeMax(1);
  const pastDeadline = new Task("sleep 30").specifyCores(1).specifyEndTime(Date.now() + 1500);
  const alreadyLate = new Task("echo ran").specifyCores(1).specifyEndTime(Date.now() - 60_000);
  const within = new Task("echo ok").specifyCores(1).specifyRunningTimeMax(60);
  for (const t of [overRun, pastDeadline, alreadyLate, within]) wq.submit(t);
  for (let n = 0; n < 4; n++) assert.ok(await wq.wait(60), "a task did not come back in 60 s");
  assert.equal(
    overRun.result,
    WORK_QUEUE_RESULT_TASK_MAX_RUN_TIME,
    `over its run time: ${overRun.failure}`,
  );
  assert.equal(overRun.outcome, "max-run-time");
  assert.ok(overRun.runMs! < 20_000, `it ran ${overRun.runMs} ms`);
  assert.equal(
    pastDeadline.result,
    WORK_QUEUE_RESULT_TASK_TIMEOUT,
    `past its end time: ${pastDeadline.failure}`,
  );
  assert.equal(alreadyLate.result, WORK_QUEUE_RESULT_TASK_TIMEOUT);
  assert.doesNotMatch(alreadyLate.output, /ran/);
  assert.equal(within.result, WORK_QUEUE_RESULT_SUCCESS);
  assert.equal(within.output, "ok\n");
  for (const t of [overRun, pastDeadline, alreadyLate]) assert.equal(t.attempts, 0);
}

Deno.test("time limits: our worker kills a task over its running time or past its end time", async () => {
  await using dir = await tempDir();
  await using wq = new WorkQueue({ port: 0 });
  await using _worker = startWorker(wq.port, { args: ["-s", dir.path, "--cores", "4"] });
  await checkLimits(wq);
});

Deno.test("time limits: CCTools' worker enforces what our manager sends", async () => {
  await using dir = await tempDir();
  await using wq = new WorkQueue({ port: 0 });
  await using _worker = startWorker(wq.port, {
    cctools: true,
    args: ["-s", dir.path, "--cores", "4", "--memory", "1000", "--disk", "1000"],
  });
  await checkLimits(wq);
});

Deno.test("time limits: our foreman passes them on to its workers", async () => {
  await using dir = await tempDir();
  await using wq = new WorkQueue({ port: 0 });
  const procs: Proc[] = [];
  try {
    const foreman = startWorker(wq.port, { args: ["--foreman", "-s", `${dir.path}/f`] });
    procs.push(foreman);
    const port = await listeningPort(foreman, "the foreman");
    procs.push(startWorker(port, { args: ["-s", `${dir.path}/w`, "--cores", "4"] }));
    await checkLimits(wq);
  } finally {
    for (const p of procs) p.kill("SIGTERM");
    await Promise.all(procs.map((p) => p.status));
  }
});
