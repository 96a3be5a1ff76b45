// Tasks queued ahead on a fast-path worker (lib/wire/fast_path.ts): the
// reactor's books, on a RecordingComm and a ManualClock.

import assert from "node:assert/strict";
import { Task } from "../task.ts";
import { joinWorker, okResult, testReactor } from "./_recording_comm.ts";
import type { RecordingComm } from "./_recording_comm.ts";
import type { Reactor } from "./reactor.ts";
import { hungry } from "./reactor.ts";
import { onCancel } from "./reactor_claims.ts";
import { onInputsStaged, onResult, onSchedulePass, onSubmit } from "./reactor_tasks.ts";
import { onSweepTick, onWorkerGone, onWorkerUpdate } from "./reactor_workers.ts";
import { managerRecord } from "./status.ts";
import type { WorkerInfo } from "./worker_info.ts";

const QUIET = () => ({ read: 0, written: 0 });

/** A worker with `cores` cores that agreed the fast path. */
function fastWorker(r: Reactor, id: number, cores: number): WorkerInfo {
  const w = joinWorker(r, id, cores);
  w.fastPath = 1;
  onWorkerUpdate(r, w);
  return w;
}

/** Submits n one-core tasks, runs a pass and sends every staged one. */
function submitAndSend(r: Reactor, comm: RecordingComm, n: number): Task[] {
  const tasks = Array.from({ length: n }, () => new Task("true").specifyCores(1));
  for (const t of tasks) onSubmit(r, t);
  onSchedulePass(r);
  for (const { task, dispatch } of comm.staging.splice(0)) {
    onInputsStaged(r, task, dispatch, { inputs: [] });
  }
  return tasks;
}

/** Brings a running task through its result. */
function finish(r: Reactor, w: WorkerInfo, t: Task): void {
  r.core.transition(t, "receiving");
  onResult(r, w, t, okResult(t), []);
}

Deno.test("a fast-path worker takes one task queued ahead per slot; a plain one does not", () => {
  const { r, comm } = testReactor();
  const plain = joinWorker(r, 1, 2);
  const tasks = submitAndSend(r, comm, 3);
  assert.deepEqual(tasks.map((t) => t.state), ["running", "running", "ready"]);
  assert.equal(plain.aheadCount, 0);
  const fast = fastWorker(r, 2, 2);
  const more = submitAndSend(r, comm, 4);
  assert.deepEqual([tasks[2], ...more].map((t) => r.core.workerOf(t)?.id), [2, 2, 2, 2, undefined]);
  assert.equal(fast.aheadCount, 2);
  assert.deepEqual(fast.inUse, { cores: 2, memory: 0, disk: 0, gpus: 0 });
  assert.deepEqual(fast.ahead, { cores: 2, memory: 0, disk: 0, gpus: 0 });
  assert.equal(r.core.queuedAhead, 2);
});

Deno.test("a free slot anywhere comes before a place in a queue ahead", () => {
  const { r, comm } = testReactor();
  const fast = fastWorker(r, 1, 1);
  const plain = joinWorker(r, 2, 1);
  const [a, b, c] = submitAndSend(r, comm, 3);
  assert.equal(r.core.workerOf(a), fast);
  assert.equal(r.core.workerOf(b), plain, "not queued ahead on the fast one");
  assert.equal(r.core.workerOf(c), fast);
  assert.equal(r.core.dispatches.get(c.id)?.ahead, true);
});

Deno.test("a result frees a slot: the oldest task queued ahead takes it, and its start counts from then", () => {
  const { r, comm, clock } = testReactor();
  const w = fastWorker(r, 1, 1);
  const [a, b] = submitAndSend(r, comm, 2);
  assert.equal(r.core.dispatches.get(b.id)?.ahead, true);
  assert.equal(r.core.startOf(b), undefined, "not started");
  clock.advance(500);
  finish(r, w, a);
  const d = r.core.dispatches.get(b.id)!;
  assert.equal(d.ahead, false);
  assert.equal(d.promotedAt, clock.now());
  assert.equal(r.core.startOf(b), clock.now());
  assert.deepEqual([w.inUse.cores, w.ahead.cores, w.aheadCount, r.core.queuedAhead], [1, 0, 0, 0]);
  assert.equal(r.core.open.has(w), true, "room again ahead");
  clock.advance(100);
  finish(r, w, b);
  assert.equal(w.turnaroundSum, 500 + 100, "b's turnaround counts from when it took the slot");
});

Deno.test("cancelling a task queued ahead frees its place and tells the worker; none is promoted", () => {
  const { r, comm } = testReactor();
  const w = fastWorker(r, 1, 1);
  const [a, b] = submitAndSend(r, comm, 2);
  comm.clear();
  onCancel(r, b.id);
  assert.equal(b.state, "cancelled");
  assert.deepEqual(comm.sent, [`1 cleanup ${b.id}`]);
  assert.deepEqual([w.inUse.cores, w.ahead.cores, w.aheadCount, r.core.queuedAhead], [1, 0, 0, 0]);
  assert.equal(a.state, "running");
  const [c] = submitAndSend(r, comm, 1);
  assert.equal(r.core.dispatches.get(c.id)?.ahead, true, "its place is taken again");
});

Deno.test("cancelling the running task promotes the one queued ahead", () => {
  const { r, comm } = testReactor();
  const w = fastWorker(r, 1, 1);
  const [a, b] = submitAndSend(r, comm, 2);
  onCancel(r, a.id);
  assert.equal(r.core.dispatches.get(b.id)?.ahead, false);
  assert.deepEqual([w.inUse.cores, w.aheadCount], [1, 0]);
});

Deno.test("a lost worker sends its tasks queued ahead back to the queue, and its books go", () => {
  const { r, comm } = testReactor();
  const w = fastWorker(r, 1, 2);
  const tasks = submitAndSend(r, comm, 4);
  onWorkerGone(r, w, "lost", "test");
  assert.deepEqual(tasks.map((t) => t.state), ["ready", "ready", "ready", "ready"]);
  assert.equal(r.core.queuedAhead, 0);
  assert.equal(r.core.dispatches.size, 0);
  const w2 = fastWorker(r, 2, 2);
  onSchedulePass(r);
  assert.deepEqual(tasks.map((t) => r.core.workerOf(t)), [w2, w2, w2, w2]);
});

Deno.test("fast abort looks only at tasks that started, from when they took a slot", () => {
  const { r, comm, clock } = testReactor();
  r.fastAbort.multiplier = 3;
  for (let i = 0; i < 10; i++) r.fastAbort.record(100); // limit 300 ms
  const w = fastWorker(r, 1, 1);
  const [a, b] = submitAndSend(r, comm, 2);
  clock.advance(250);
  finish(r, w, a);
  clock.advance(250);
  onSweepTick(r, QUIET);
  assert.equal(b.state, "running", "queued 250 ms, then ran 250 ms: under the limit");
  clock.advance(100);
  onSweepTick(r, QUIET);
  assert.equal(b.state, "ready", "ran 350 ms: aborted");
});

Deno.test("status counts tasks queued ahead on workers, not as running; hungry() counts their places", () => {
  const { r, comm } = testReactor();
  const w = fastWorker(r, 1, 2);
  assert.equal(r.slots, -1);
  assert.equal(hungry(r), true);
  assert.equal(r.slots, 4);
  submitAndSend(r, comm, 5);
  const record = managerRecord(r.core, { name: "q", port: 1, startedAt: 0, ssl: false });
  assert.equal(record.tasks_running, 2);
  assert.equal(record.tasks_on_workers, 4);
  assert.equal(record.tasks_waiting, 1);
  assert.equal(w.tasks.size, 4);
});

Deno.test("a whole-worker task queued ahead waits until the worker is empty", () => {
  const { r, comm } = testReactor();
  const w = fastWorker(r, 1, 2);
  const [a, b] = submitAndSend(r, comm, 2);
  const whole = new Task("true");
  onSubmit(r, whole);
  onSchedulePass(r);
  const [{ dispatch }] = comm.staging.splice(0);
  onInputsStaged(r, whole, dispatch, { inputs: [] });
  assert.equal(dispatch.ahead, true);
  finish(r, w, a);
  assert.equal(dispatch.ahead, true, "b still runs");
  finish(r, w, b);
  assert.equal(dispatch.ahead, false);
  assert.deepEqual(w.inUse, w.total);
});
