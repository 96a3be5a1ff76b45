/**
 * The signal that killed a task's shell (issue 14): our worker names it in
 * `info task-signal <taskid> <SIGNAME>` before the task's `result` line, and
 * our manager keeps it in the task's record. CCTools' worker sends only the
 * number, as if it were an exit code; a task's signal is then null. A
 * task-signal line that names another task, or is malformed, is ignored.
 */

import assert from "node:assert/strict";
import { Task, WORK_QUEUE_RESULT_SUCCESS, WorkQueue } from "../mod.ts";
import { kInternal } from "../lib/task.ts";
import { FakeWorker } from "./_fake_worker.ts";
import { read, startWorker, tempDir } from "./_harness.ts";

/** Runs each command as a one-core task and returns the tasks, in order, once all are back. */
async function runAll(wq: WorkQueue, commands: string[]): Promise<Task[]> {
  const tasks = commands.map((c) => new Task(c).specifyCores(1));
  for (const t of tasks) wq.submit(t);
  for (let left = tasks.length; left > 0; left--) {
    assert.ok(await wq.wait(60), `timed out with ${left} of ${tasks.length} tasks still out`);
  }
  return tasks;
}

/** What a task's record says about how it ended. */
function ending(t: Task): [number | undefined, number | undefined, string | null] {
  return [t.result, t.returnStatus, t[kInternal].record.signal];
}

Deno.test("our worker names the signal that killed a task's shell, and our manager records it", async () => {
  await using dir = await tempDir();
  const debugLog = `${dir.path}/worker.debug`;
  await using wq = new WorkQueue({ port: 0 });
  await using worker = startWorker(wq.port, {
    args: ["--single-shot", "-s", dir.path, "--cores", "4", "-d", "all", "-o", debugLog],
  });
  const [killed, exited, termed, child, childShell] = await runAll(wq, [
    "kill -KILL $$",
    "exit 9",
    "kill -TERM $$",
    "sleep 30 & kill -KILL $!; wait $!",
    "sh -c 'kill -KILL $$'",
  ]);
  assert.deepEqual(ending(killed), [WORK_QUEUE_RESULT_SUCCESS, 9, "SIGKILL"]);
  assert.deepEqual(ending(exited), [WORK_QUEUE_RESULT_SUCCESS, 9, null]);
  assert.deepEqual(ending(termed), [WORK_QUEUE_RESULT_SUCCESS, 15, "SIGTERM"]);
  // A command the task's shell started was killed: the shell exits 128 + 9.
  assert.deepEqual(ending(child), [WORK_QUEUE_RESULT_SUCCESS, 137, null]);
  assert.deepEqual(ending(childShell), [WORK_QUEUE_RESULT_SUCCESS, 137, null]);

  // A resubmitted task starts again with no signal.
  wq.submit(killed);
  assert.equal(killed[kInternal].record.signal, null);
  assert.equal(await wq.wait(60), killed);
  assert.deepEqual(ending(killed), [WORK_QUEUE_RESULT_SUCCESS, 9, "SIGKILL"]);

  wq.shutdownWorkers(0);
  assert.equal((await worker.status).code, 0, worker.log());
  // On the wire: the info line, right before that task's result line.
  const sent = (await read(debugLog)).split("\n").flatMap((l) => {
    const m = / tx: ((?:info task-signal|result) .*)$/.exec(l);
    return m ? [m[1]] : [];
  });
  for (const [t, sig] of [[killed, "SIGKILL"], [termed, "SIGTERM"]] as const) {
    const i = sent.indexOf(`info task-signal ${t.id} ${sig}`);
    assert.ok(i >= 0, `no task-signal for task ${t.id} in:\n${sent.join("\n")}`);
    assert.match(sent[i + 1], new RegExp(`^result 0 ${t.returnStatus} \\d+ \\d+ ${t.id}$`));
  }
  assert.equal(sent.filter((l) => l.startsWith("info task-signal")).length, 3, sent.join("\n"));
});

Deno.test("with CCTools' worker a signal is only a number: returnStatus 9, signal null", async () => {
  await using dir = await tempDir();
  await using wq = new WorkQueue({ port: 0 });
  await using worker = startWorker(wq.port, {
    cctools: true,
    args: ["--single-shot", "-t", "60", "-s", dir.path, "--cores", "2"],
  });
  const [killed, exited] = await runAll(wq, ["kill -KILL $$", "exit 9"]);
  assert.deepEqual(ending(killed), [WORK_QUEUE_RESULT_SUCCESS, 9, null]);
  assert.deepEqual(ending(exited), ending(killed), "the two cannot be told apart");
  wq.shutdownWorkers(0);
  assert.equal((await worker.status).code, 0, worker.log());
});

Deno.test("a task-signal for another task, after the last result, or malformed, is ignored", async () => {
  const debug: string[] = [];
  await using wq = new WorkQueue({
    port: 0,
    logger: (level, m) => {
      if (level === "debug") debug.push(m);
    },
  });
  const [a, b, c] = ["echo a", "echo b", "echo c"].map((cmd) => new Task(cmd));
  for (const t of [a, b, c]) wq.submit(t);
  const w = await FakeWorker.connect(wq.port, { answerChecks: true });
  try {
    // One core: the tasks come one at a time.
    for (const t of [a, b, c]) {
      assert.equal(await w.expect(/^task \d+$/), `task ${t.id}`);
      await w.expect(/^end$/);
      await w.send("available_results\n");
      assert.equal(await w.expect(/^send_results/), "send_results -1");
      if (t === a) {
        // Malformed ones, then one for a task that is not next: a keeps no signal.
        await w.send(
          "info task-signal\ninfo task-signal 1 kill\ninfo task-signal x SIGKILL\n" +
            `info task-signal ${a.id} 9\ninfo task-signal ${a.id + 1000} SIGKILL\n` +
            `result 0 9 2 1 ${a.id}\na\nend\n`,
        );
      } else if (t === b) {
        // The one that counts is the last before the result; one after it is dropped at `end`.
        await w.send(
          `info task-signal ${b.id} SIGHUP\ninfo task-signal ${b.id} SIGTERM\n` +
            `result 0 15 2 1 ${b.id}\nb\ninfo tasks_running 0\ninfo task-signal ${b.id} SIGKILL\nend\n`,
        );
      } else {
        // Between the results of a reply and while idle, an info line is still one.
        await w.send(`result 0 0 2 1 ${c.id}\nc\nend\ninfo task-signal ${c.id} SIGKILL\n`);
      }
      assert.equal(await wq.wait(30), t);
    }
    assert.deepEqual(ending(a), [WORK_QUEUE_RESULT_SUCCESS, 9, null]);
    assert.equal(a.output, "a\n");
    assert.deepEqual(ending(b), [WORK_QUEUE_RESULT_SUCCESS, 15, "SIGTERM"]);
    assert.deepEqual(ending(c), [WORK_QUEUE_RESULT_SUCCESS, 0, null]);
    assert.equal(wq.stats.workersConnected, 1, "the worker is still served");
    assert.equal(
      debug.filter((m) => /malformed 'info task-signal/.test(m)).length,
      4,
      debug.join("\n"),
    );
    assert.ok(debug.some((m) => /SIGKILL for task \d+, but the next result is task/.test(m)));
    assert.ok(debug.some((m) => /SIGHUP for task \d+, but another came before a result/.test(m)));
    assert.ok(debug.some((m) => /SIGKILL for task \d+, but no result followed it/.test(m)));
  } finally {
    w.close();
  }
});
