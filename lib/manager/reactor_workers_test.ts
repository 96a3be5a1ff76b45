import assert from "node:assert/strict";
import { Task, type TaskState } from "../task.ts";
import { joinWorker, okResult, taskIn, testReactor, workerOf } from "./_recording_comm.ts";
import type { Reactor } from "./reactor.ts";
import {
  onInputsStaged,
  onResult,
  onResultArriving,
  onSchedulePass,
  onSubmit,
} from "./reactor_tasks.ts";
import { takeCompleted } from "./reactor_claims.ts";
import {
  onClose,
  onShutdownWorkers,
  onSweepTick,
  onWorkerConnected,
  onWorkerGone,
  onWorkerUpdate,
} from "./reactor_workers.ts";
import { WorkerInfo } from "./worker_info.ts";

const QUIET = () => ({ read: 0, written: 0 });

Deno.test("onWorkerUpdate() joins a worker once, and tasks too large wait for a larger one", () => {
  const { r, comm } = testReactor();
  const big = new Task("x").specifyCores(8);
  onSubmit(r, big);
  joinWorker(r, 1, 4);
  assert.equal(r.fit.count(), 1);
  assert.deepEqual(comm.logs.filter((l) => l.startsWith("warn")), [
    "warn: task 1 needs 8 cores; the largest worker has 4; it waits for a larger worker",
  ]);
  const w2 = joinWorker(r, 2, 16);
  assert.equal(r.fit.count(), 0);
  onWorkerUpdate(r, w2); // a later resource report
  assert.equal(r.core.counters.workersJoined, 2);
  assert.deepEqual(comm.eventNames().filter((e) => e.startsWith("worker")), [
    "worker-joined 1",
    "worker-joined 2",
  ]);
  onSchedulePass(r);
  assert.equal(r.core.workerOf(big), w2);
});

for (const state of ["sending", "running", "receiving"] as TaskState[]) {
  Deno.test(`onWorkerGone() puts back a task that was ${state} on the lost worker`, () => {
    const { r, comm } = testReactor();
    const w = joinWorker(r, 1);
    const t = taskIn(r, comm, state);
    const staged = comm.staging.splice(0);
    const done = taskIn(r, comm, "running");
    onResult(r, w, done, okResult(done), []);
    comm.clear();
    onWorkerGone(r, w, "lost", "connection reset by peer");
    assert.equal(t.state, "ready");
    assert.equal(t.attempts, 1);
    assert.equal(done.state, "complete", "a completed task keeps its result");
    assert.equal(r.core.workers.size, 0);
    assert.equal(w.inUse.cores, 0);
    assert.deepEqual(comm.closed, [1]);
    assert.ok(comm.schedulingAsked > 0);
    assert.deepEqual(comm.eventNames(), [`task-retried ${t.id}`, "worker-left 1 lost"]);
    const retried = comm.events[0];
    assert.ok(retried.type === "task-retried" && retried.cause === "worker-lost");
    const c = r.core.counters;
    assert.deepEqual([c.workersRemoved, c.workersLost, c.tasksRequeued], [1, 1, 1]);
    assert.match(comm.logs.join("\n"), /removed worker node1 .*: connection reset by peer; 1 task/);
    // Its staging, if any, reports back late: ignored.
    for (const s of staged) onInputsStaged(r, s.task, s.dispatch, { inputs: [] });
    assert.equal(t.state, "ready");
    onWorkerGone(r, w, "lost", "again");
    assert.equal(c.workersRemoved, 1, "a worker goes once");
  });
}

Deno.test("onSweepTick() checks a quiet worker, then drops it when the check goes unanswered", () => {
  const { r, comm, clock } = testReactor({ keepalive: { intervalMs: 1000, timeoutMs: 2000 } });
  const w = joinWorker(r, 1);
  const t = taskIn(r, comm, "running");
  comm.clear();
  for (const step of [500, 501, 999, 1001]) {
    clock.advance(step);
    onSweepTick(r, QUIET);
  }
  assert.deepEqual(comm.sent, ["1 check"]);
  clock.advance(1); // 2002 ms after the check
  onSweepTick(r, QUIET);
  assert.equal(r.core.workers.size, 0);
  assert.deepEqual(comm.closed, [1]);
  assert.equal(t.state, "ready");
  assert.deepEqual(comm.eventNames().slice(-1), ["worker-left 1 lost"]);
  const left = comm.events.at(-1);
  assert.ok(left?.type === "worker-left");
  assert.equal(left.detail, "no answer to a keepalive check within 2 s");
  assert.equal(w.removed, true);
});

Deno.test("onSweepTick() sends a check each second to a worker running a watched output", () => {
  const { r, comm, clock } = testReactor();
  joinWorker(r, 1);
  joinWorker(r, 2);
  const watched = new Task("tail -f x").specifyCores(4).specifyOutputFile("log", "log", {
    watch: true,
  });
  const plain = new Task("sleep 9").specifyCores(4).specifyOutputFile("out", "out");
  taskIn(r, comm, "running", watched);
  taskIn(r, comm, "running", plain);
  comm.clear();
  for (let i = 0; i < 8; i++) {
    clock.advance(500);
    onSweepTick(r, () => ({ read: i, written: 0 })); // never quiet: no keepalive check
  }
  assert.deepEqual(comm.sent, ["1 check", "1 check", "1 check", "1 check"]);
  onResultArriving(r, r.core.workerOf(watched)!, watched);
  comm.clear();
  clock.advance(1000);
  onSweepTick(r, () => ({ read: 99, written: 0 }));
  assert.deepEqual(comm.sent, [], "no check once the task is no longer running");
});

Deno.test("onSweepTick() takes traffic and answers as signs of life", () => {
  const { r, comm, clock } = testReactor({ keepalive: { intervalMs: 1000, timeoutMs: 2000 } });
  const w = joinWorker(r, 1);
  let read = 0;
  const traffic = () => ({ read, written: 0 });
  clock.advance(1001);
  onSweepTick(r, traffic);
  assert.deepEqual(comm.sent, ["1 check"]);
  read = 5_000_000; // a big output is coming in, ahead of the answer
  clock.advance(2500);
  onSweepTick(r, traffic);
  assert.equal(r.core.workers.size, 1);
  w.lastHeard = clock.now(); // `alive`, as WorkerConn books it
  w.checkSentAt = 0;
  clock.advance(900);
  onSweepTick(r, traffic);
  assert.deepEqual(comm.sent, ["1 check"]);
});

Deno.test("onSweepTick() drops a connection that does not finish its handshake in time", () => {
  const { r, comm, clock } = testReactor({ keepalive: { intervalMs: 30_000, timeoutMs: 2000 } });
  const w = new WorkerInfo(1, "127.0.0.1:9001", { connectedAt: clock.now() });
  onWorkerConnected(r, w);
  clock.advance(2001);
  onSweepTick(r, QUIET);
  assert.equal(r.core.workers.size, 0);
  assert.deepEqual(comm.closed, [1]);
  assert.deepEqual(comm.events, [], "it never joined, so it does not leave");
  assert.match(comm.logs.join("\n"), /no complete handshake within 2 s/);
});

/** Runs `n` one-core tasks to success on `w`, each taking `ms`. */
function succeed(r: Reactor, comm: ReturnType<typeof testReactor>["comm"], n: number, ms: number) {
  const clock = r.clock as ReturnType<typeof testReactor>["clock"];
  for (let i = 0; i < n; i++) {
    const t = taskIn(r, comm, "running");
    clock.advance(ms);
    onResult(r, workerOf(r, t), t, okResult(t), []);
    takeCompleted(r);
  }
}

Deno.test("onSweepTick() fast-aborts a straggler, and drops a worker that is slow twice in a row", () => {
  const { r, comm, clock } = testReactor();
  r.fastAbort.multiplier = 3;
  const w1 = joinWorker(r, 1);
  succeed(r, comm, 9, 100);
  const slow = taskIn(r, comm, "running");
  const slow2 = taskIn(r, comm, "running");
  assert.equal(workerOf(r, slow), w1);
  clock.advance(1000);
  onSweepTick(r, QUIET);
  assert.equal(slow.state, "running", "nine successes are not enough to judge");
  onResult(r, w1, slow2, okResult(slow2), []); // the tenth: average 190 ms, limit 570 ms
  comm.clear();
  const third = taskIn(r, comm, "running");
  onSweepTick(r, QUIET);
  assert.equal(slow.state, "ready");
  assert.equal(third.state, "running", "it has run 0 ms");
  assert.deepEqual(comm.sent, [`1 task ${third.id}`, `1 cleanup ${slow.id}`]);
  assert.equal(r.core.counters.tasksFastAborted, 1);
  assert.equal(w1.fastAborts, 1);
  const retried = comm.events.find((e) => e.type === "task-retried");
  assert.ok(retried?.type === "task-retried" && retried.cause === "fast-abort");
  onSchedulePass(r);
  assert.equal(slow.state, "ready", "it does not go back to the worker it was aborted on");
  clock.advance(1000);
  comm.clear();
  onSweepTick(r, QUIET);
  assert.equal(third.state, "ready");
  assert.deepEqual(comm.sent, [`1 cleanup ${third.id}`, "1 exit"]);
  assert.deepEqual(comm.closed, [1]);
  assert.equal(r.core.counters.workersFastAborted, 1);
  assert.equal(r.core.counters.workersLost, 0);
  assert.deepEqual(comm.eventNames().slice(-1), ["worker-left 1 fast-aborted"]);
  const w2 = joinWorker(r, 2);
  onSchedulePass(r);
  assert.equal(r.core.workerOf(slow), w2);
});

Deno.test("onSweepTick() asks for a scheduling pass when a host block runs out", () => {
  const { r, comm, clock } = testReactor();
  joinWorker(r, 1);
  r.blocks.block("node1", 1);
  const t = taskIn(r, comm, "ready");
  onSchedulePass(r);
  assert.equal(t.state, "ready", "blocked");
  comm.clear();
  clock.advance(500);
  onSweepTick(r, QUIET);
  assert.equal(comm.schedulingAsked, 0);
  clock.advance(600);
  onSweepTick(r, QUIET);
  assert.equal(comm.schedulingAsked, 1);
  onSchedulePass(r);
  assert.equal(t.state, "sending");
});

Deno.test("onShutdownWorkers() tells only idle workers to exit", () => {
  const { r, comm } = testReactor();
  joinWorker(r, 1);
  taskIn(r, comm, "running");
  const idle = joinWorker(r, 2);
  joinWorker(r, 3);
  comm.clear();
  assert.equal(onShutdownWorkers(r, 1), 1);
  assert.deepEqual(comm.sent, ["2 exit"]);
  assert.equal(idle.leaving, true);
  assert.equal(onShutdownWorkers(r, 0), 1);
  assert.deepEqual(comm.sent, ["2 exit", "3 exit"]);
  onWorkerGone(r, idle, "removed");
  assert.deepEqual(comm.eventNames().slice(-1), ["worker-left 2 removed"]);
  assert.equal(r.core.counters.workersLost, 0);
});

Deno.test("onClose() releases every worker, puts their tasks back, and ends the events", () => {
  const { r, comm } = testReactor();
  joinWorker(r, 1);
  const t = new Task("x").specifyCores(1).specifyMaxRetries(1);
  taskIn(r, comm, "running", t);
  comm.clear();
  onClose(r);
  assert.deepEqual(comm.sent, ["1 release"]);
  assert.deepEqual(comm.closed, [], "the server flushes the release, then closes");
  assert.equal(t.state, "ready", "no attempt counted: the infrastructure did not fail");
  assert.equal(t.attempts, 0);
  assert.deepEqual(comm.eventNames(), ["worker-left 1 released", "queue-closed"]);
  assert.equal(r.core.workers.size, 0);
  onSchedulePass(r);
  assert.equal(t.state, "ready");
  assert.equal(onWorkerConnected(r, new WorkerInfo(2, "127.0.0.1:2")), false);
  onClose(r);
  assert.equal(comm.events.length, 2, "once");
});
