import assert from "node:assert/strict";
import { WORK_QUEUE_ALLOCATION_MODE_MAX } from "../constants.ts";
import { kInternal, Task } from "../task.ts";
import { Categories } from "./categories/categories.ts";
import { ReadyQueue } from "./ready_queue.ts";
import { schedule } from "./scheduler.ts";
import { WorkerInfo } from "./worker_info.ts";

function worker(id: number, cores: number): WorkerInfo {
  const w = new WorkerInfo(id, `127.0.0.1:${1000 + id}`);
  w.pending.clear();
  w.total = { cores, memory: 1000, disk: 1000, gpus: 0 };
  return w;
}

Deno.test("schedule() gives a task without resources a whole worker", () => {
  const tasks = [new Task("a"), new Task("b"), new Task("c")];
  const a = schedule(tasks, [worker(1, 4), worker(2, 4)]);
  assert.equal(a.length, 2);
  assert.deepEqual(a.map((x) => x.worker.id), [1, 2]);
  assert.equal(a[0].alloc.cores, 4);
});

Deno.test("schedule() packs tasks that ask for cores onto one worker until it is full", () => {
  const tasks = Array.from({ length: 5 }, () => new Task("x").specifyCores(1));
  const a = schedule(tasks, [worker(1, 2), worker(2, 2)]);
  assert.deepEqual(a.map((x) => x.worker.id), [1, 1, 2, 2]);
});

Deno.test("schedule() passes over a task that fits nowhere and places the next", () => {
  const big = new Task("big").specifyCores(8);
  const small = new Task("small").specifyCores(1);
  const a = schedule([big, small], [worker(1, 2)]);
  assert.equal(a.length, 1);
  assert.equal(a[0].task, small);
});

Deno.test("schedule() skips workers still in their handshake", () => {
  const w = worker(1, 2);
  w.pending.add("tag");
  assert.equal(schedule([new Task("x")], [w]).length, 0);
});

Deno.test("ReadyQueue orders by priority, then submit order, and deletes by identity", () => {
  const q = new ReadyQueue();
  const t = Array.from({ length: 4 }, (_, i) => new Task(`t${i}`));
  t[2].priority = 10;
  t[3].priority = -1;
  for (const x of t) q.add(x);
  assert.deepEqual([...q].map((x) => x.command), ["t2", "t0", "t1", "t3"]);
  assert.ok(q.delete(t[0]));
  assert.ok(!q.delete(t[0]));
  assert.equal(q.size, 3);
  assert.deepEqual([...q].map((x) => x.command), ["t2", "t1", "t3"]);
});

Deno.test("schedule() sizes a category's tasks with what it asks its sizer, declared values kept", () => {
  const cats = new Categories();
  const c = cats.lookup("sim");
  c.mode = WORK_QUEUE_ALLOCATION_MODE_MAX;
  cats.changed();
  const tasks = Array.from({ length: 4 }, () => new Task("x").specifyCategory("sim"));
  // Not steady: the maximum, a whole worker each.
  let a = schedule(tasks, [worker(1, 4), worker(2, 4)], { sizer: cats });
  assert.deepEqual(a.map((x) => x.alloc), [
    { cores: 4, memory: 1000, disk: 1000, gpus: 0 },
    { cores: 4, memory: 1000, disk: 1000, gpus: 0 },
  ]);
  c.setFirstGuess({ cores: 1, memory: 200, disk: 100 });
  tasks[3].specifyMemory(600);
  a = schedule(tasks, [worker(1, 4)], { sizer: cats });
  assert.deepEqual(a.map((x) => x.alloc.memory), [200, 200, 200], "600 declared does not fit");
  assert.deepEqual(a[0].alloc, { cores: 1, memory: 200, disk: 100, gpus: 0 });
  a = schedule([tasks[3]], [worker(1, 4)], { sizer: cats });
  assert.deepEqual(a[0].alloc, { cores: 1, memory: 600, disk: 100, gpus: 0 });
  // A task that ran out asks for the maximum again.
  tasks[0][kInternal].label = "max";
  a = schedule([tasks[0]], [worker(1, 4)], { sizer: cats });
  assert.equal(a[0].alloc.cores, 4);
});

Deno.test("schedule() reads no ready task when every core is taken, memory to spare or not", () => {
  // Busy 1-core workers whose one core is taken by a task that asked for a
  // core and no memory: the pass must end at once, not try each ready task
  // against each of them.
  const workers = [1, 2, 3].map((id) => {
    const w = worker(id, 1);
    w.tasks.set(id, new Task("running").specifyCores(1));
    w.inUse = { cores: 1, memory: 0, disk: 0, gpus: 0 };
    return w;
  });
  let read = 0;
  function* ready() {
    for (let i = 0; i < 50; i++) {
      read++;
      yield new Task("x").specifyCores(1);
    }
  }
  assert.deepEqual(schedule(ready(), workers), []);
  assert.equal(read, 0);
  // A worker with a free core still gets the first task.
  workers[1].inUse.cores = 0;
  workers[1].tasks.clear();
  const a = schedule(ready(), workers);
  assert.deepEqual(a.map((x) => x.worker.id), [2]);
});
