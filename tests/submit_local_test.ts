// wq-submit-workers -T local, run with its exact permission flags: two
// detached workers connect to a manager on loopback and run tasks.

import assert from "node:assert/strict";
import { Task, WORK_QUEUE_RESULT_SUCCESS, WorkQueue } from "../mod.ts";
import { denoRunArgs } from "../tools/entrypoints.ts";
import { spawn, tempDir, until } from "./_harness.ts";

Deno.test("wq-submit-workers -T local starts COUNT detached workers", async () => {
  await using dir = await tempDir("wq-local-");
  await using wq = new WorkQueue({ port: 0 });
  await using submit = spawn([
    ...denoRunArgs("submit"),
    "-T",
    "local",
    "--cores",
    "1",
    "-t",
    "30",
    "-d",
    dir.path,
    "--worker-options=--single-shot",
    "127.0.0.1",
    String(wq.port),
    "2",
  ]);
  assert.equal((await submit.status).code, 0, submit.log());
  const pids = [...submit.log().matchAll(/^submitted local (\d+) /gm)].map((m) => Number(m[1]));
  assert.equal(pids.length, 2, submit.log());
  try {
    await until(() => wq.stats.workersConnected === 2, "both local workers to connect");
    for (let i = 0; i < 4; i++) wq.submit(new Task(`echo ${i}`));
    for (let i = 0; i < 4; i++) {
      const t = await wq.wait(30);
      assert.equal(t?.result, WORK_QUEUE_RESULT_SUCCESS, t?.failure ?? undefined);
    }
  } finally {
    for (const pid of pids) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
  await using bad = spawn([...denoRunArgs("submit"), "-T", "lsf", "127.0.0.1", "1", "1"]);
  assert.equal((await bad.status).code, 1);
  assert.match(bad.log(), /^wq-submit-workers: Cannot use option '-T': current value is 'lsf'/m);
});
