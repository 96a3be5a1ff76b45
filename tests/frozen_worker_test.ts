// Frozen workers: one stopped with SIGSTOP while it runs tasks, and a
// hand-driven one that stops answering, are dropped by the keepalive; their
// tasks run elsewhere and come back once, and whatever the frozen worker says
// later is not trusted. Real processes over loopback. The keepalive runs on
// a manual clock: the tests move it, and wait for nothing (a real-time one is
// in tests/manager_api_test.ts).
//
// With WQ_RELIABILITY_OUT set, each test appends one JSON line
// {"test":"slow_faults","case":...,...counts} to that file.

import assert from "node:assert/strict";
import { Task, WORK_QUEUE_RESULT_SUCCESS, WorkQueue } from "../mod.ts";
import { ManualClock } from "../lib/clock.ts";
import { FakeWorker } from "./_fake_worker.ts";
import { alive, collector, count, killOnDispose, report } from "./_faults.ts";
import { advanceUntil, exists, read, startWorker, tempDir, until } from "./_harness.ts";

/**
 * A queue that checks a worker after 1 s of silence and drops it 2 s later,
 * logging everything, on a clock that moves only when the test moves it.
 */
function impatientQueue(log: ReturnType<typeof collector>, clock: ManualClock): WorkQueue {
  return new WorkQueue({
    port: 0,
    keepaliveInterval: 1,
    keepaliveTimeout: 2,
    debug: true,
    logger: log.logger,
    clock,
  });
}

Deno.test("a frozen worker is dropped by keepalive, and once woken it starts afresh", async () => {
  await using dir = await tempDir();
  const d = dir.path;
  const log = collector();
  const clock = new ManualClock();
  await using wq = impatientQueue(log, clock);
  // Not single-shot: once woken it must find its connection closed and dial again.
  await using sleepy = startWorker(wq.port, {
    args: ["-s", `${d}/sleepy`, "--cores", "2", "-i", "0.1", "-b", "0.5", "-t", "120"],
  });
  // The first run of each task (on the worker that freezes) takes a different
  // branch from the run elsewhere, so a stale result would show.
  const a = new Task(
    `if mkdir ${d}/a-first 2>/dev/null; then ` +
      `while [ ! -e ${d}/go ]; do sleep 0.05; done; echo stale > out.txt; echo stale-A; ` +
      `touch ${d}/a-stale-done; else echo fresh > out.txt; echo done-A; fi`,
  ).specifyCores(1).specifyOutputFile(`${d}/a-out.txt`, "out.txt");
  const b = new Task(
    `if mkdir ${d}/b-first 2>/dev/null; then echo $$ > ${d}/b-pid.tmp; ` +
      `mv ${d}/b-pid.tmp ${d}/b-pid; exec sleep 300; else echo done-B; fi`,
  ).specifyCores(1);
  wq.submit(a);
  wq.submit(b);
  await until(
    async () => await exists(`${d}/a-first`) && await exists(`${d}/b-pid`),
    "both tasks to start",
  );
  const stalePid = Number((await read(`${d}/b-pid`)).trim());
  using _stale = killOnDispose([stalePid]);

  sleepy.kill("SIGSTOP");
  await advanceUntil(
    clock,
    () => wq.stats.workersLost === 1,
    "keepalive to drop the frozen worker",
  );
  // While the worker is frozen, its first task finishes: a result waits in it.
  await Deno.writeTextFile(`${d}/go`, "");
  await until(() => exists(`${d}/a-stale-done`), "the stale run of A to finish");

  await using good = startWorker(wq.port, {
    args: ["--single-shot", "-s", `${d}/good`, "--cores", "2"],
  });
  const returned: Task[] = [];
  for (let i = 0; i < 2; i++) {
    const t = await wq.wait(60);
    assert.ok(t, "a task should come back");
    returned.push(t);
  }
  assert.deepEqual(returned.map((t) => t.id).sort(), [a.id, b.id].sort());
  assert.equal(a.result, WORK_QUEUE_RESULT_SUCCESS, a.failure ?? undefined);
  assert.equal(a.output, "done-A\n");
  assert.equal(await read(`${d}/a-out.txt`), "fresh\n");
  assert.equal(b.output, "done-B\n");
  assert.equal(wq.shutdownWorkers(0), 1);
  assert.equal((await good.status).code, 0);

  // Wake it: it must find the connection closed, drop its tasks and sandboxes,
  // and join again as a new worker.
  sleepy.kill("SIGCONT");
  await until(
    () => count(sleepy.log(), /connected to manager /) >= 2 && wq.stats.workersConnected === 1,
    "the woken worker to reconnect",
  );
  assert.match(sleepy.log(), /disconnected from manager [^\n]*; reconnecting in [\d.]+ s/);
  assert.equal(alive(stalePid), false, "the stale task B must be killed when the worker wakes");
  assert.equal(wq.stats.workersJoined, 3);

  // It starts afresh: its workspace holds nothing of A or B.
  const probe = new Task("ls -A ..");
  wq.submit(probe);
  assert.equal(await wq.wait(60), probe);
  assert.equal(probe.result, WORK_QUEUE_RESULT_SUCCESS, probe.failure ?? undefined);
  assert.deepEqual(
    probe.output.trim().split("\n").sort(),
    ["cache", `t.${probe.id}`, `t.${probe.id}.stdout`, "transfer"].sort(),
  );
  // Each task came back exactly once, with the fresh run's output.
  assert.equal(await wq.wait(0), null);
  assert.ok(wq.empty());
  assert.equal(wq.stats.tasksDone, 3);
  assert.equal(a.output, "done-A\n");
  const ignored = log.lines.filter((l) => /which is not running on it/.test(l)).length;
  wq.shutdownWorkers(0);
  assert.equal((await sleepy.status).code, 0);
  await report("frozen_worker", {
    workersLost: wq.stats.workersLost,
    workersJoined: wq.stats.workersJoined,
    tasksRequeued: wq.stats.tasksRequeued,
    staleResultsIgnored: ignored,
    staleTaskKilled: true,
  });
});

Deno.test("the manager takes a result only for a task running on that very connection", async () => {
  await using dir = await tempDir();
  const log = collector();
  const clock = new ManualClock();
  await using wq = impatientQueue(log, clock);
  const t = new Task("echo real");
  wq.submit(t);
  // A worker takes the task, then freezes (answers nothing): it is dropped.
  const frozen = await FakeWorker.connect(wq.port, { answerChecks: false });
  const taskLine = await frozen.expect(/^task \d+$/);
  assert.equal(taskLine, `task ${t.id}`);
  await advanceUntil(
    clock,
    () => wq.stats.workersLost === 1,
    "keepalive to drop the silent worker",
  );
  assert.ok(await frozen.closedByPeer(), "the manager must close the frozen worker's connection");
  // Its late result has nowhere to go: the connection is closed.
  await frozen.send(`available_results\n`).catch(() => {});
  frozen.close();

  await using real = startWorker(wq.port, { args: ["--single-shot", "-s", dir.path] });
  assert.equal(await wq.wait(60), t);
  assert.equal(t.output, "real\n");
  assert.equal(wq.shutdownWorkers(0), 1);
  assert.equal((await real.status).code, 0);

  // The same worker comes back on a new connection with its stale result
  // (and one for a task that never existed): both are dropped.
  const back = await FakeWorker.connect(wq.port, { answerChecks: true });
  await until(() => wq.stats.workersConnected === 1, "the fake worker to join again");
  await back.send("available_results\n");
  assert.equal(await back.expect(/^send_results/), "send_results -1");
  await back.send(`result 0 0 6 1000 ${t.id}\nstale\nresult 0 0 3 1000 999\nno\nend\n`);

  // A task that does run on this connection: its result is taken once, a
  // repeat in the same batch and a later one are dropped.
  const u = new Task("echo u");
  wq.submit(u);
  assert.equal(await back.expect(/^task \d+$/), `task ${u.id}`);
  await back.expect(/^end$/);
  await back.send("available_results\n");
  await back.expect(/^send_results/);
  await back.send(`result 0 0 3 10 ${u.id}\nok\nresult 0 0 4 10 ${u.id}\ndup\nend\n`);
  assert.equal(await wq.wait(30), u);
  assert.equal(u.output, "ok\n");
  assert.equal(await back.expect(/^kill /), `kill ${u.id}`);
  await back.send("available_results\n");
  await back.expect(/^send_results/);
  await back.send(`result 0 0 5 10 ${u.id}\nlate\nend\n`);
  await until(
    () => log.lines.filter((l) => /which is not running on it: ignored/.test(l)).length >= 4,
    "the four stale results to be dropped",
  );
  assert.equal(t.output, "real\n");
  assert.equal(u.output, "ok\n");
  assert.equal(wq.stats.tasksDone, 2);
  assert.equal(wq.stats.workersConnected, 1, "stale results do not cost the worker its connection");
  assert.equal(await wq.wait(0), null);
  back.close();
  await report("stale_results", {
    staleResultsIgnored: log.lines.filter((l) => /which is not running on it/.test(l)).length,
    tasksDone: wq.stats.tasksDone,
  });
});
