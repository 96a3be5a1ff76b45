// Debian's foreman (`work_queue_worker --foreman`, CCTools 8.0.0, protocol 9)
// between our manager and two of our workers. To our manager it is one
// worker whose OS is `foreman` and whose resources are its workers' summed;
// to our workers it is a CCTools manager of protocol 9 (they try 11 first,
// it refuses, and they speak 9 to it: lib/worker/dialect.ts).

import assert from "node:assert/strict";
import { Task, WORK_QUEUE_RESULT_SUCCESS, WorkQueue } from "../mod.ts";
import { read, startWorker, tempDir, until, waitAll } from "./_harness.ts";
import { foremenOf, startForeman } from "./_foreman.ts";

const TASKS = 30;

Deno.test("Debian's foreman runs our manager's tasks on our workers: a cached input, outputs, an exit code", async () => {
  await using dir = await tempDir();
  const d = dir.path;
  const shared = "shared input\n".repeat(1000);
  await Deno.writeTextFile(`${d}/in.txt`, shared);
  await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1" });

  // Tasks that ask for nothing (each takes the foreman's largest worker), and
  // one that asks for a core and fails.
  const tasks: Task[] = [];
  for (let i = 0; i < TASKS; i++) {
    const t = new Task(`wc -c < in.txt > out.txt; echo ${i} >> out.txt`);
    t.specifyInputFile(`${d}/in.txt`, "in.txt"); // cached: sent to the foreman once
    t.specifyOutputFile(`${d}/out.${i}`, "out.txt");
    tasks.push(t);
    wq.submit(t);
  }
  const failing = new Task("cat in.txt > /dev/null; echo failing; exit 7").specifyCores(1);
  failing.specifyInputFile(`${d}/in.txt`, "in.txt");
  wq.submit(failing);

  await using foreman = await startForeman(wq.port, { dir: d });
  // It joins with no worker of its own: 0 cores, and no task.
  await until(async () => (await foremenOf(wq.port)).length === 1, "the foreman to join");
  const [alone] = await foremenOf(wq.port);
  assert.equal(alone.state, "READY");
  assert.equal(alone.workers_total, 0);
  assert.equal(alone.cores_total, 0);
  assert.equal(wq.stats.workersConnected, 1);
  assert.equal(wq.stats.tasksDispatched, 0);
  assert.match(wq.explain(failing.id), /no worker is connected \(only foremen/);

  // Two of our workers behind it: its next resource report counts them.
  const args = ["--cores", "1", "--memory", "200", "--disk", "1000"];
  await using _w1 = startWorker(foreman.port, { args });
  await using _w2 = startWorker(foreman.port, { args });
  const done = await waitAll(wq, TASKS + 1);

  for (const [i, t] of tasks.entries()) {
    const back = done.get(t.id)!;
    assert.equal(back.result, WORK_QUEUE_RESULT_SUCCESS, `task ${i}: ${back.output}`);
    assert.equal(back.returnStatus, 0);
    assert.equal(await read(`${d}/out.${i}`), `${shared.length}\n${i}\n`);
    assert.match(back.host ?? "", /^127\.0\.0\.1:\d+$/, "the foreman's connection");
  }
  assert.equal(failing.result, WORK_QUEUE_RESULT_SUCCESS);
  assert.equal(failing.returnStatus, 7);
  assert.equal(failing.output, "failing\n");

  const [busy] = await foremenOf(wq.port);
  assert.equal(busy.workers_total, 2);
  assert.equal(busy.cores_total, 2);
  assert.equal(busy.total_tasks_complete, TASKS + 1);
  const s = wq.stats;
  assert.equal(s.workersJoined, 1, "only the foreman is our manager's worker");
  assert.equal(s.tasksDone, TASKS + 1);
  assert.equal(s.workersLost, 0);
  assert.match(foreman.log(), /is using work queue protocol 11, but I am using protocol 9/);
});
