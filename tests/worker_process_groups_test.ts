// Our worker starts each task in its own process group: a task that signals
// its group (`kill 0`) does not stop the worker, and what a task leaves
// running is killed when the manager forgets the task. `--fast-spawn` keeps
// tasks in the worker's group, and still runs them.

import assert from "node:assert/strict";
import { Task, WORK_QUEUE_RESULT_SUCCESS, WorkQueue } from "../mod.ts";
import { startWorker, tempDir, until } from "./_harness.ts";

function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) Z /.test(stat); // a zombie has already exited
  } catch {
    return false;
  }
}

Deno.test("a task that runs `kill 0` does not stop our worker", async () => {
  await using dir = await tempDir();
  await using wq = new WorkQueue({ port: 0 });
  await using worker = startWorker(wq.port, { args: ["--single-shot", "-s", dir.path] });
  const killer = wq.submit(new Task("trap 'kill 0' EXIT; echo cleaning up"));
  const first = await wq.wait(30);
  assert.equal(first?.id, killer);
  assert.equal(first?.result, WORK_QUEUE_RESULT_SUCCESS, first?.failure ?? undefined);
  assert.match(first?.output ?? "", /cleaning up/);

  wq.submit(new Task("echo still here"));
  const second = await wq.wait(30);
  assert.equal(second?.output, "still here\n");
  assert.equal(wq.stats.workersConnected, 1);
  assert.equal(wq.stats.workersRemoved, 0);
  wq.shutdownWorkers(0);
  assert.equal((await worker.status).code, 0);
});

Deno.test("what a task leaves running is killed when the manager forgets the task", async () => {
  await using dir = await tempDir();
  await using wq = new WorkQueue({ port: 0 });
  await using _worker = startWorker(wq.port, { args: ["--single-shot", "-s", dir.path] });
  wq.submit(new Task("sleep 300 </dev/null >/dev/null 2>&1 & echo $!"));
  const t = await wq.wait(30);
  assert.equal(t?.result, WORK_QUEUE_RESULT_SUCCESS, t?.failure ?? undefined);
  const pid = Number(t!.output.trim());
  assert.ok(pid > 0, `no pid in ${JSON.stringify(t!.output)}`);
  await until(() => !alive(pid), `the left-over sleep ${pid} to be killed`);
});

Deno.test("--fast-spawn runs tasks, and cancelling one still kills what it started", async () => {
  await using dir = await tempDir();
  await using wq = new WorkQueue({ port: 0 });
  await using _worker = startWorker(wq.port, {
    args: ["--single-shot", "--fast-spawn", "--cores", "2", "-s", dir.path],
  });
  const ids = [];
  for (let i = 0; i < 10; i++) {
    const t = new Task(`echo ${i}`);
    t.specifyCores(1);
    ids.push(wq.submit(t));
  }
  const outputs = new Set<string>();
  for (let i = 0; i < 10; i++) outputs.add((await wq.wait(30))!.output);
  assert.equal(outputs.size, 10);

  const pidFile = `${dir.path}/child.pid`;
  const slow = new Task(`sh -c 'echo $$ > ${pidFile}; exec sleep 300'; true`);
  const id = wq.submit(slow);
  await until(
    async () => (await Deno.readTextFile(pidFile).catch(() => "")).trim() !== "",
    "the task's child to start",
  );
  const pid = Number((await Deno.readTextFile(pidFile)).trim());
  assert.ok(alive(pid));
  assert.equal(wq.cancelById(id)?.id, id);
  await until(() => !alive(pid), `the cancelled task's child ${pid} to be killed`);
});
