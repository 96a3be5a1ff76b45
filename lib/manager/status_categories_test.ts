import assert from "node:assert/strict";
import { Task } from "../task.ts";
import { joinWorker, okResult, taskIn, testReactor, workerOf } from "./_recording_comm.ts";
import { onCancel } from "./reactor_claims.ts";
import { onResult } from "./reactor_tasks.ts";
import { categoriesStatus, taskTotals, WHOLE_QUEUE } from "./status_categories.ts";

function task(category: string, cores?: number, memory?: number): Task {
  const t = new Task("true");
  t.category = category;
  if (cores !== undefined) t.specifyCores(cores);
  if (memory !== undefined) t.specifyMemory(memory);
  return t;
}

Deno.test("categoriesStatus() counts each category's tasks, whole queue first", () => {
  const { r, comm } = testReactor();
  assert.deepEqual(categoriesStatus(r.core), [], "no task: no entry");
  joinWorker(r, 1, 2);
  const done = taskIn(r, comm, "running", task("align", 1));
  onResult(r, workerOf(r, done), done, okResult(done, { status: 2 }), []);
  taskIn(r, comm, "running", task("align", 1));
  taskIn(r, comm, "ready", task("align", 2, 300)); // no room: one core is held
  const cancelled = taskIn(r, comm, "ready", task("merge"));
  onCancel(r, cancelled.id);
  taskIn(r, comm, "ready", task("merge", 8)); // larger than any worker

  const s = categoriesStatus(r.core);
  assert.deepEqual(s.map((c) => c.category), [WHOLE_QUEUE, "align", "merge"]);
  const [whole, align, merge] = s;
  assert.deepEqual(
    [align.tasks_waiting, align.tasks_running, align.tasks_on_workers, align.tasks_dispatched],
    [1, 1, 1, 2],
  );
  assert.deepEqual([align.tasks_done, align.tasks_failed, align.tasks_cancelled], [1, 1, 0]);
  assert.deepEqual([align.max_cores, align.max_memory, align.max_disk], ["2.000", "300", "na"]);
  assert.equal(align.workers_able, 1, "a 2-core worker can run its largest waiting task");
  assert.deepEqual(align.first_allocation, { cores: 2, memory: 300, disk: 0, gpus: 0 });
  assert.deepEqual([merge.tasks_waiting, merge.tasks_cancelled, merge.workers_able], [1, 1, 0]);
  assert.equal(merge.max_cores, "8.000");
  assert.deepEqual(
    [whole.tasks_waiting, whole.tasks_running, whole.tasks_done, whole.tasks_failed],
    [2, 1, 1, 1],
  );
  assert.equal(whole.tasks_cancelled, 1);
  assert.equal(whole.max_cores, "8.000");
  // the running task holds 1 core; the waiting ones ask 2 and 8; the completed one holds nothing
  assert.deepEqual(taskTotals(r.core), { cores: 1 + 2 + 8, memory: 300, disk: 0, gpus: 0 });
});

Deno.test("categoriesStatus() keeps counting a task under the category it was submitted in", () => {
  const { r, comm } = testReactor();
  joinWorker(r, 1, 1);
  const t = taskIn(r, comm, "running", task("first", 1));
  t.category = "second"; // changed while it runs
  onResult(r, workerOf(r, t), t, okResult(t), []);
  const first = categoriesStatus(r.core).find((c) => c.category === "first");
  assert.deepEqual([first?.tasks_on_workers, first?.tasks_done], [0, 1]);
  assert.equal(categoriesStatus(r.core).some((c) => c.category === "second"), false);
});
