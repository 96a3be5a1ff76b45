import assert from "node:assert/strict";
import { Task } from "../task.ts";
import { Core } from "./core.ts";
import { WorkerInfo } from "./worker_info.ts";

Deno.test("transition() rejects ready -> returned", () => {
  const c = new Core();
  const t = new Task("x");
  t.id = 1;
  c.transition(t, "ready");
  assert.throws(() => c.transition(t, "returned"), /not a legal move/);
});

Deno.test("transition() keeps indexes, counters and worker books right through a task's life", () => {
  const c = new Core();
  const w = new WorkerInfo(1, "127.0.0.1:1");
  w.total = { cores: 4, memory: 100, disk: 100, gpus: 0 };
  const t = new Task("x");
  t.id = 7;
  c.transition(t, "ready");
  assert.equal(c.ready.size, 1);
  const alloc = { cores: 2, memory: 10, disk: 10, gpus: 0 };
  c.transition(t, "sending", { dispatch: { worker: w, alloc, inputs: [], outputNames: [] } });
  assert.equal(c.ready.size, 0);
  assert.equal(w.inUse.cores, 2);
  assert.equal(c.workerOf(t), w);
  c.transition(t, "running");
  c.transition(t, "ready"); // worker lost
  assert.equal(w.inUse.cores, 0);
  assert.equal(w.tasks.size, 0);
  assert.equal(c.counters.tasksRequeued, 1);
  c.transition(t, "sending", { dispatch: { worker: w, alloc, inputs: [], outputNames: [] } });
  c.transition(t, "running");
  c.transition(t, "receiving");
  c.transition(t, "complete");
  assert.equal(w.inUse.cores, 0);
  assert.deepEqual([...c.complete], [t]);
  c.transition(t, "returned");
  assert.equal(c.tasks.size, 0);
  assert.equal(c.inState.returned, 1);
  assert.equal(c.counters.tasksDone, 1);
});

Deno.test("Core.open holds the workers with room, for the scheduler", () => {
  const c = new Core();
  const w = new WorkerInfo(1, "127.0.0.1:1");
  w.total = { cores: 2, memory: 0, disk: 0, gpus: 0 };
  c.workers.set(w.id, w);
  c.noteRoom(w);
  assert.ok(c.open.has(w));
  const [a, b] = [new Task("a"), new Task("b")];
  a.id = 1;
  b.id = 2;
  const alloc = { cores: 1, memory: 0, disk: 0, gpus: 0 };
  for (const t of [a, b]) {
    c.transition(t, "ready");
    c.transition(t, "sending", { dispatch: { worker: w, alloc, inputs: [], outputNames: [] } });
  }
  assert.ok(!c.open.has(w)); // both cores taken
  c.transition(a, "running");
  c.transition(a, "complete");
  assert.ok(c.open.has(w));
  c.removeWorker(w);
  assert.ok(!c.open.has(w));
  c.transition(b, "ready"); // its worker was lost: it must not come back to open
  assert.ok(!c.open.has(w));
});
