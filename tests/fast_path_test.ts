// The fast path (lib/wire/fast_path.ts) over loopback: our manager and our
// worker turn it on at the handshake, results come back pushed, tasks queued
// ahead are cancelled and requeued right; CCTools' worker never sees it.

import assert from "node:assert/strict";
import { Task, WORK_QUEUE_RESULT_SUCCESS, WorkQueue } from "../mod.ts";
import { read, startWorker, tempDir, until, waitAll } from "./_harness.ts";

/** A queue that keeps its debug log. */
function queue(): { wq: WorkQueue; logs: string[] } {
  const logs: string[] = [];
  const wq = new WorkQueue({ port: 0, debug: true, logger: (l, m) => logs.push(`${l}: ${m}`) });
  return { wq, logs };
}

Deno.test("our manager and our worker turn the fast path on; 300 tiny tasks each come back once", async () => {
  await using dir = await tempDir();
  const { wq, logs } = queue();
  await using _wq = wq;
  const debugLog = `${dir.path}/worker.debug`;
  await using _worker = startWorker(wq.port, {
    args: ["--single-shot", "--cores", "2", "-s", dir.path, "-d", "all", "-o", debugLog],
  });
  const tasks = Array.from({ length: 300 }, (_, i) => new Task(`echo ${i}`).specifyCores(1));
  for (const t of tasks) wq.submit(t);
  const done = await waitAll(wq, tasks.length);
  for (const [i, t] of tasks.entries()) {
    assert.equal(done.get(t.id), t);
    assert.equal(t.result, WORK_QUEUE_RESULT_SUCCESS);
    assert.equal(t.output, `${i}\n`);
  }
  assert.ok(logs.some((l) => /^debug: worker .* fast path 2 on$/.test(l)), logs.join("\n"));
  const debug = await read(debugLog);
  assert.match(debug, /tx: info wq-deno-fastpath 2\n/);
  assert.match(debug, /rx: wq-deno-fastpath 2\n/);
  assert.match(debug, /tx: result 0 0 \d+ \d+ \d+\n/);
  // Results are pushed: the manager never had to ask.
  assert.doesNotMatch(debug, /tx: available_results|rx: send_results/);
  assert.ok(logs.some((l) => /^debug: task \d+ ready -> sending: queued ahead$/.test(l)));
});

Deno.test("a task queued ahead is cancelled on the worker; the one running is not disturbed", async () => {
  await using dir = await tempDir();
  const { wq } = queue();
  await using _wq = wq;
  const debugLog = `${dir.path}/worker.debug`;
  await using _worker = startWorker(wq.port, {
    args: ["--single-shot", "--cores", "1", "-s", dir.path, "-d", "all", "-o", debugLog],
  });
  const marker = `${dir.path}/ahead-ran`;
  const running = new Task(`sleep 2; echo first`).specifyCores(1);
  const ahead = new Task(`touch ${marker}; sleep 30`).specifyCores(1);
  wq.submit(running);
  wq.submit(ahead);
  await until(() => ahead.state === "running", "the second task sent ahead");
  assert.equal(wq.cancelById(ahead.id), ahead);
  assert.equal(ahead.state, "cancelled");
  const back = await wq.wait(60);
  assert.equal(back, running);
  assert.equal(running.output, "first\n");
  await until(async () => /rx: kill \d+/.test(await read(debugLog)), "the kill");
  assert.equal(await Deno.stat(marker).then(() => true, () => false), false, "it never started");
  assert.match(await read(debugLog), new RegExp(`rx: kill ${ahead.id}\n`));
});

Deno.test("a worker lost with tasks queued ahead: every task runs elsewhere and comes back once", async () => {
  await using dir = await tempDir();
  const { wq } = queue();
  await using _wq = wq;
  await Deno.mkdir(`${dir.path}/a`);
  await Deno.mkdir(`${dir.path}/b`);
  const first = startWorker(wq.port, {
    args: ["--single-shot", "--cores", "2", "-s", `${dir.path}/a`],
  });
  try {
    const tasks = Array.from(
      { length: 8 },
      (_, i) => new Task(`sleep 1; echo ${i}`).specifyCores(1),
    );
    for (const t of tasks) wq.submit(t);
    await until(() => tasks.filter((t) => t.state === "running").length === 4, "4 tasks on it");
    first.killTree();
    await first.status;
    await using _second = startWorker(wq.port, {
      args: ["--single-shot", "--cores", "2", "-s", `${dir.path}/b`],
    });
    const done = await waitAll(wq, tasks.length);
    for (const [i, t] of tasks.entries()) {
      assert.equal(done.get(t.id)?.output, `${i}\n`);
    }
    assert.ok(wq.stats.tasksRequeued >= 4, "the running and the queued-ahead ones");
  } finally {
    await first[Symbol.asyncDispose]();
  }
});

Deno.test("CCTools' worker never sees the fast path", async () => {
  await using dir = await tempDir();
  const { wq, logs } = queue();
  await using _wq = wq;
  await using _worker = startWorker(wq.port, {
    cctools: true,
    args: ["--single-shot", "-t", "60", "--cores", "1", "-s", dir.path],
  });
  const tasks = Array.from({ length: 6 }, (_, i) => new Task(`echo ${i}`).specifyCores(1));
  for (const t of tasks) wq.submit(t);
  const done = await waitAll(wq, tasks.length);
  for (const [i, t] of tasks.entries()) assert.equal(done.get(t.id)?.output, `${i}\n`);
  assert.ok(!logs.some((l) => /fast path/.test(l)), logs.join("\n"));
});
