import assert from "node:assert/strict";
import {
  WORK_QUEUE_RESULT_DISK_ALLOC_FULL,
  WORK_QUEUE_RESULT_FORSAKEN,
  WORK_QUEUE_RESULT_INPUT_MISSING,
  WORK_QUEUE_RESULT_MAX_RETRIES,
  WORK_QUEUE_RESULT_OUTPUT_MISSING,
  WORK_QUEUE_RESULT_STDOUT_MISSING,
  WORK_QUEUE_RESULT_SUCCESS,
} from "../constants.ts";
import { kInternal, Task } from "../task.ts";
import { joinWorker, okResult, taskIn, testReactor, workerOf } from "./_recording_comm.ts";
import { takeCompleted } from "./reactor_claims.ts";
import { onInputsStaged, onResult, onSchedulePass, onSubmit } from "./reactor_tasks.ts";
import { onClose, onWorkerGone } from "./reactor_workers.ts";

Deno.test("onSubmit() gives an id and a fresh record, and asks for a scheduling pass", () => {
  const { r, comm, clock } = testReactor();
  const t = new Task("echo hi");
  assert.equal(onSubmit(r, t), 1);
  assert.equal(t.state, "ready");
  assert.equal(t.submitTime, clock.now());
  assert.equal(t.result, undefined);
  assert.equal(t.output, "");
  assert.equal(comm.schedulingAsked, 1);
  assert.deepEqual(comm.eventNames(), ["task-submitted 1"]);
  assert.equal(onSubmit(r, new Task("echo again")), 2);
});

Deno.test("onSubmit() rejects a task in the queue, and every task once the queue is closed", () => {
  const { r } = testReactor();
  const t = new Task("x");
  onSubmit(r, t);
  assert.throws(() => onSubmit(r, t), TypeError);
  onClose(r);
  assert.throws(() => onSubmit(r, new Task("y")), /the queue is closed/);
});

Deno.test("onSchedulePass() places a ready task on a worker: sending until its inputs are staged", () => {
  const { r, comm } = testReactor();
  const t = new Task("x").specifyCores(1);
  onSubmit(r, t);
  onSchedulePass(r);
  assert.equal(t.state, "ready", "no worker yet");
  const w = joinWorker(r, 1);
  onSchedulePass(r);
  assert.equal(t.state, "sending");
  assert.equal(r.core.workerOf(t), w);
  assert.equal(w.inUse.cores, 1);
  assert.deepEqual(comm.staging.map((s) => s.task), [t]);
  assert.deepEqual(comm.sent, [], "nothing goes out before the inputs are staged");
});

Deno.test("onInputsStaged() sends the task, books its cached inputs and records where and when", () => {
  const { r, comm, clock } = testReactor();
  const w = joinWorker(r, 1);
  const t = new Task("cat p").specifyCores(1).specifyInputBuffer("x", "p").specifyOutputFile(
    "/tmp/o",
    "o",
  );
  onSubmit(r, t);
  onSchedulePass(r);
  const [{ dispatch }] = comm.staging;
  clock.advance(250);
  const data = new TextEncoder().encode("x");
  const input = { kind: "buffer" as const, name: "buffer-0-abc", remote: "p", cache: true, data };
  onInputsStaged(r, t, dispatch, { inputs: [input] });
  assert.equal(t.state, "running");
  assert.deepEqual(comm.sent, ["1 task 1"]);
  assert.equal(w.cached.get("buffer-0-abc"), 1);
  assert.equal(w.cachedKeys.size, 1);
  assert.deepEqual(dispatch.outputNames, ["file-1.0-o"]);
  assert.equal(t.dispatchTime, clock.now());
  assert.equal(t.host, w.addr);
  assert.equal(t.hostname, "node1");
  assert.deepEqual(comm.eventNames().slice(-1), ["task-dispatched 1"]);
});

Deno.test("onInputsStaged() completes a task with a missing input as INPUT_MISSING", () => {
  const { r, comm } = testReactor();
  const w = joinWorker(r, 1);
  const t = taskIn(r, comm, "ready");
  onSchedulePass(r);
  const [{ dispatch }] = comm.staging;
  onInputsStaged(r, t, dispatch, { missing: "input 'a' cannot be read: not found" });
  assert.equal(t.state, "complete");
  assert.equal(t.result, WORK_QUEUE_RESULT_INPUT_MISSING);
  assert.equal(t.failure, "input 'a' cannot be read: not found");
  assert.equal(w.inUse.cores, 0);
  assert.deepEqual(comm.delivered, [t]);
  assert.deepEqual(comm.sent, []);
});

Deno.test("onResult() sets every result field at once, frees the worker and delivers the task", () => {
  const { r, comm, clock } = testReactor();
  joinWorker(r, 1);
  const t = taskIn(r, comm, "receiving");
  const w = workerOf(r, t);
  clock.advance(400);
  comm.clear();
  onResult(r, w, t, okResult(t, { exitCode: 3, stdout: "out", execUsec: 2500 }), []);
  assert.equal(t.state, "complete");
  assert.equal(t.result, WORK_QUEUE_RESULT_SUCCESS);
  assert.equal(t.returnStatus, 3);
  assert.equal(t.output, "out");
  assert.equal(t.executionTime, 2500);
  assert.equal(t.finishTime, clock.now());
  assert.equal(t.failure, null);
  assert.equal(t.dispatchTime, clock.now() - 400);
  assert.deepEqual(comm.sent, ["1 cleanup 1"]);
  assert.deepEqual(comm.delivered, [t]);
  assert.deepEqual(comm.eventNames(), ["task-done 1"]);
  assert.equal(w.inUse.cores, 0);
  assert.equal(w.tasksDone, 1);
  assert.equal(w.averageTurnaround, 400);
  assert.equal(r.core.counters.tasksDone, 1);
  assert.equal(takeCompleted(r), t);
  assert.equal(t.state, "returned");
  assert.equal(takeCompleted(r), undefined);
});

Deno.test("onResult() says which outputs are missing, as OUTPUT_MISSING", () => {
  const { r, comm } = testReactor();
  joinWorker(r, 1);
  const t = taskIn(r, comm, "receiving");
  onResult(r, workerOf(r, t), t, okResult(t), [
    { local: "/tmp/a" },
    { local: "/tmp/b", missing: "output 'b' was not produced" },
  ]);
  assert.equal(t.result, WORK_QUEUE_RESULT_OUTPUT_MISSING);
  assert.equal(t.failure, "output 'b' was not produced");
});

Deno.test("onResult() turns stdout cut at maxStdout, or by the worker, into STDOUT_MISSING", () => {
  const { r, comm } = testReactor({ maxStdout: 4 });
  joinWorker(r, 1);
  const a = taskIn(r, comm, "running");
  onResult(r, workerOf(r, a), a, okResult(a, { stdoutTruncated: true, stdoutLength: 9 }), []);
  assert.equal(a.result, WORK_QUEUE_RESULT_STDOUT_MISSING);
  assert.equal(a.failure, "standard output was 9 bytes; only the first 4 were kept (maxStdout)");
  const b = taskIn(r, comm, "running");
  const cut = okResult(b, { status: WORK_QUEUE_RESULT_STDOUT_MISSING, stdoutLength: 3 });
  onResult(r, workerOf(r, b), b, cut, []);
  assert.equal(b.result, WORK_QUEUE_RESULT_STDOUT_MISSING);
  assert.match(b.failure ?? "", /cut by worker node1 .* at its limit \(--max-stdout\); 3 bytes/);
});

Deno.test("onResult() with the disk full says why and forgets what the worker did not keep", () => {
  const { r, comm } = testReactor();
  const w = joinWorker(r, 1);
  const t = new Task("x").specifyCores(1).specifyInputBuffer("data", "in");
  onSubmit(r, t);
  onSchedulePass(r);
  const [{ dispatch }] = comm.staging;
  const data = new TextEncoder().encode("data");
  const input = { kind: "buffer" as const, name: "buffer-0-d", remote: "in", cache: true, data };
  onInputsStaged(r, t, dispatch, { inputs: [input] });
  assert.ok(w.cached.has("buffer-0-d"));
  const full = okResult(t, { status: WORK_QUEUE_RESULT_DISK_ALLOC_FULL, execUsec: 0 });
  onResult(r, w, t, full, []);
  assert.equal(t.result, WORK_QUEUE_RESULT_DISK_ALLOC_FULL);
  assert.match(
    t.failure ?? "",
    /^disk full on worker node1 .*: an input or the sandbox did not fit/,
  );
  assert.equal(w.cached.has("buffer-0-d"), false);
  assert.equal(w.cachedKeys.size, 0);
});

Deno.test("onResult() puts a FORSAKEN task back in the queue, counting an attempt", () => {
  const { r, comm } = testReactor();
  joinWorker(r, 1);
  const t = taskIn(r, comm, "receiving");
  comm.clear();
  onResult(r, workerOf(r, t), t, okResult(t, { status: WORK_QUEUE_RESULT_FORSAKEN }), []);
  assert.equal(t.state, "ready");
  assert.equal(t.attempts, 1);
  assert.equal(t.result, undefined);
  assert.deepEqual(comm.sent, ["1 cleanup 1"]);
  assert.deepEqual(comm.eventNames(), ["task-retried 1"]);
  assert.deepEqual(comm.delivered, []);
});

Deno.test("a task that fails maxRetries times because of the infrastructure completes as MAX_RETRIES", () => {
  const { r, comm } = testReactor();
  const t = new Task("x").specifyCores(1).specifyMaxRetries(2);
  joinWorker(r, 1);
  taskIn(r, comm, "running", t);
  onWorkerGone(r, workerOf(r, t), "lost", "connection reset");
  assert.equal(t.state, "ready");
  assert.equal(t.attempts, 1);
  joinWorker(r, 2);
  onSchedulePass(r);
  const [{ dispatch }] = comm.staging.splice(0);
  onInputsStaged(r, t, dispatch, { inputs: [] });
  onWorkerGone(r, workerOf(r, t), "lost", "connection reset");
  assert.equal(t.state, "complete");
  assert.equal(t.result, WORK_QUEUE_RESULT_MAX_RETRIES);
  assert.match(
    t.failure ?? "",
    /^failed 2 time\(s\) because of the infrastructure \(max retries 2\); last: its worker node2/,
  );
  assert.deepEqual(comm.delivered, [t]);
  const types = comm.events.filter((e) => e.type.startsWith("task-")).map((e) => e.type);
  assert.deepEqual(types, [
    "task-submitted",
    "task-dispatched",
    "task-retried",
    "task-dispatched",
    "task-done",
  ]);
});

Deno.test("onResult() records the signal the worker reported; without one, and after a resubmit, it is null", () => {
  const { r, comm } = testReactor();
  joinWorker(r, 1);
  const killed = taskIn(r, comm, "receiving");
  onResult(
    r,
    workerOf(r, killed),
    killed,
    okResult(killed, { exitCode: 9, signal: "SIGKILL" }),
    [],
  );
  assert.equal(killed.result, WORK_QUEUE_RESULT_SUCCESS);
  assert.equal(killed.returnStatus, 9);
  assert.equal(killed[kInternal].record.signal, "SIGKILL");

  const exited = taskIn(r, comm, "receiving");
  onResult(r, workerOf(r, exited), exited, okResult(exited, { exitCode: 9 }), []);
  assert.equal(exited.returnStatus, 9);
  assert.equal(exited[kInternal].record.signal, null);

  assert.equal(takeCompleted(r), killed);
  onSubmit(r, killed);
  assert.equal(killed[kInternal].record.signal, null);
});
