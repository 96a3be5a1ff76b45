// How completed tasks and events reach the application: run(), the object
// form of wait(), and events(). Most cases need no worker; one runs tasks
// on a real worker over loopback.

import assert from "node:assert/strict";
import { Task, WorkQueue } from "../mod.ts";
import type { QueueEvent } from "../mod.ts";
import { startWorker } from "./_harness.ts";

Deno.test("run() resolves with the completed task, which wait() then never returns", async () => {
  await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1" });
  await using _worker = startWorker(wq.port, { args: ["--single-shot", "--cores", "2"] });
  const mine = new Task("echo mine; exit 3");
  const other = new Task("echo other");
  wq.submit(other);
  const done = await wq.run(mine);
  assert.equal(done, mine);
  assert.equal(mine.state, "returned");
  assert.equal(mine.returnStatus, 3);
  assert.equal(mine.output, "mine\n");
  const next = await wq.wait({ timeoutMs: 60_000 });
  assert.deepEqual(next, { status: "task", task: other });
  assert.deepEqual(await wq.wait({ timeoutMs: 0 }), { status: "empty" });
  // Run again: the same task object goes through the queue a second time.
  assert.equal(await wq.run(mine), mine);
  assert.equal(mine.output, "mine\n");
  // Many at once.
  const tasks = Array.from({ length: 6 }, (_, i) => new Task(`echo ${i}`));
  const all = await Promise.all(tasks.map((t) => wq.run(t)));
  assert.deepEqual(all.map((t) => t.output), ["0\n", "1\n", "2\n", "3\n", "4\n", "5\n"]);
  assert.ok(wq.empty());
  wq.shutdownWorkers(0);
});

Deno.test("run() of a task that completed already resolves at once", async () => {
  await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1" });
  await using _worker = startWorker(wq.port, { args: ["--single-shot"] });
  const t = new Task("echo early");
  wq.submit(t);
  const events = wq.events();
  for await (const e of events) if (e.type === "task-done") break;
  assert.equal(t.state, "complete");
  assert.equal(await wq.run(t), t);
  assert.equal(t.state, "returned");
  assert.deepEqual(await wq.wait({ timeoutMs: 0 }), { status: "empty" });
  wq.shutdownWorkers(0);
});

Deno.test("run() resolves a cancelled task, and rejects when the queue closes first", async () => {
  const wq = new WorkQueue({ port: 0, hostname: "127.0.0.1" });
  const cancelled = new Task("echo never");
  const running = wq.run(cancelled);
  assert.equal(wq.cancelById(cancelled.id), cancelled);
  const c = await running;
  assert.equal(c, cancelled);
  assert.equal(cancelled.state, "cancelled");
  assert.deepEqual([c.outcome, c.ok, c.exitCode, c.signal], ["cancelled", false, null, null]);
  assert.equal(typeof c.finishedAt, "number");
  const orphan = new Task("echo never either");
  const pending = wq.run(orphan);
  await assert.rejects(wq.run(orphan), /run\(\) waits for it already/);
  assert.ok(wq.empty(), "a task run() waits for is not wait()'s");
  await wq.close();
  await assert.rejects(
    pending,
    new RegExp(`task ${orphan.id}: the queue closed before it completed`),
  );
  await assert.rejects(wq.run(new Task("true")), /the queue is closed/);
});

Deno.test("wait({ timeoutMs, signal }) tells a timeout, an empty queue, an abort and a closed queue apart", async () => {
  const wq = new WorkQueue({ port: 0, hostname: "127.0.0.1" });
  assert.deepEqual(await wq.wait({ timeoutMs: 1000 }), { status: "empty" });
  assert.equal(await wq.wait(0), null); // the CCTools form, unchanged
  wq.submit(new Task("echo waiting"));
  assert.deepEqual(await wq.wait({ timeoutMs: 5 }), { status: "timeout" });
  const ac = new AbortController();
  const waiting = wq.wait({ signal: ac.signal });
  ac.abort("no more");
  assert.deepEqual(await waiting, { status: "aborted", reason: "no more" });
  const forever = wq.wait({});
  await wq.close();
  assert.deepEqual(await forever, { status: "closed" });
  assert.deepEqual(await wq.wait({ timeoutMs: 0 }), { status: "closed" });
  await assert.rejects(wq.wait({ timeoutMs: -1 }), RangeError);
});

Deno.test("events(): a stream per call, from now on, ended by queue-closed, an abort or break", async () => {
  const wq = new WorkQueue({ port: 0, hostname: "127.0.0.1" });
  const ac = new AbortController();
  const aborted = wq.events({ signal: ac.signal });
  const broken = wq.events();
  const whole = wq.events();
  const t = new Task("echo hi");
  wq.submit(t);
  wq.cancelById(t.id);
  const first = await broken.next();
  assert.deepEqual(first, { value: { type: "task-submitted", task: t }, done: false });
  await broken.return();
  assert.deepEqual(await broken.next(), { value: undefined, done: true });
  ac.abort();
  assert.deepEqual(await aborted.next(), { value: undefined, done: true });
  await wq.close();
  const seen: QueueEvent["type"][] = [];
  for await (const e of whole) seen.push(e.type);
  assert.deepEqual(seen, ["task-submitted", "task-cancelled", "queue-closed"]);
  // After close, a new stream has nothing to say.
  assert.deepEqual(await wq.events().next(), { value: undefined, done: true });
});

Deno.test("events(): a reader that falls maxBuffered events behind gets a RangeError, not a silent gap", async () => {
  await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1" });
  const slow = wq.events({ maxBuffered: 3 });
  for (let i = 0; i < 5; i++) wq.submit(new Task(`echo ${i}`));
  await assert.rejects(slow.next(), /fell 3 events behind/);
  assert.deepEqual(await slow.next(), { value: undefined, done: true });
  assert.throws(() => wq.events({ maxBuffered: 0 }), RangeError);
});
