import assert from "node:assert/strict";
import type { Task, TaskState } from "../task.ts";
import { joinWorker, okResult, taskIn, testReactor, workerOf } from "./_recording_comm.ts";
import { onCancel, takeCompleted } from "./reactor_claims.ts";
import { onInputsStaged, onResult } from "./reactor_tasks.ts";

for (const state of ["ready", "sending", "running", "receiving", "complete"] as TaskState[]) {
  Deno.test(`onCancel() cancels a task that is ${state}`, () => {
    const { r, comm } = testReactor();
    const w = joinWorker(r, 1);
    let t: Task;
    if (state === "complete") {
      t = taskIn(r, comm, "running");
      onResult(r, w, t, okResult(t), []);
    } else {
      t = taskIn(r, comm, state);
    }
    const staged = comm.staging.splice(0);
    comm.clear();
    assert.equal(onCancel(r, t.id), t);
    assert.equal(t.state, "cancelled");
    assert.equal(r.core.tasks.has(t.id), false);
    assert.equal(r.core.counters.tasksCancelled, 1);
    assert.equal(w.inUse.cores, 0);
    assert.equal(w.tasks.size, 0);
    const onWorker = ["sending", "running", "receiving"].includes(state);
    assert.deepEqual(comm.sent, onWorker ? [`1 cleanup ${t.id}`] : []);
    assert.deepEqual(comm.events, [{ type: "task-cancelled", task: t, from: state }]);
    assert.deepEqual(comm.delivered, []);
    // What was under way for it is ignored when it reports back.
    for (const s of staged) onInputsStaged(r, s.task, s.dispatch, { inputs: [] });
    assert.equal(t.state, "cancelled");
    assert.equal(takeCompleted(r), undefined);
    assert.equal(onCancel(r, t.id), null, "not in the queue any more");
  });
}

Deno.test("onCancel() returns null for a task that is not in the queue", () => {
  const { r, comm } = testReactor();
  joinWorker(r, 1);
  const t = taskIn(r, comm, "running");
  onResult(r, workerOf(r, t), t, okResult(t), []);
  takeCompleted(r);
  assert.equal(onCancel(r, t.id), null, "returned");
  assert.equal(onCancel(r, 99), null, "never submitted");
});
