import assert from "node:assert/strict";
import {
  WORK_QUEUE_ALLOCATION_MODE_MIN_WASTE,
  WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION,
} from "../constants.ts";
import { Task } from "../task.ts";
import { joinWorker, testReactor } from "./_recording_comm.ts";
import { explainIn } from "./queue_settings.ts";
import {
  categoryStatsIn,
  checkCategoryResources,
  setCategoryMode,
  setCategoryResources,
} from "./queue_categories.ts";
import {
  onInputsStaged,
  onResult,
  onResultArriving,
  onSchedulePass,
  onSubmit,
} from "./reactor_tasks.ts";

Deno.test("category settings reject bad input with one line naming it", () => {
  const { r } = testReactor();
  assert.throws(
    () => setCategoryMode(r, "", 1),
    /Cannot set category mode: expected a category name, got ''/,
  );
  assert.throws(() => setCategoryMode(r, "a", 1.5), RangeError);
  assert.throws(() => setCategoryMode(r, "a", 4), /4 is not a WORK_QUEUE_ALLOCATION_MODE_\* value/);
  assert.throws(
    () => setCategoryResources(r, "a", "max", { cores: -1 }),
    /Cannot set maximum resources of category 'a': cores must be a non-negative number, got -1/,
  );
  assert.throws(() => setCategoryResources(r, "a", "min", null as never), TypeError);
  assert.throws(() => checkCategoryResources({ memory: NaN }, "x"), RangeError);
  assert.equal(r.categories.sizing, false, "nothing was set");
});

Deno.test("categoryStats() of a category never configured, then configured and used", () => {
  const { r, comm } = testReactor();
  assert.deepEqual(categoryStatsIn(r, "none"), {
    name: "none",
    mode: 0,
    modeName: "fixed",
    maxResources: {},
    minResources: {},
    tasksMeasured: 0,
    tasksExhausted: 0,
    maxSeen: {},
    average: {},
    steady: false,
    firstAllocation: null,
    tasks: null,
  });
  setCategoryMode(r, "sim", WORK_QUEUE_ALLOCATION_MODE_MIN_WASTE);
  setCategoryResources(r, "sim", "max", { memory: 800 });
  assert.ok(comm.schedulingAsked > 0);
  const w = joinWorker(r, 1, 2);
  const t = new Task("./sim").specifyCategory("sim");
  onSubmit(r, t);
  onSchedulePass(r);
  // Not measured: the maximum, the rest of the worker.
  assert.deepEqual(r.core.dispatches.get(t.id)?.alloc, {
    cores: 2,
    memory: 800,
    disk: 1000,
    gpus: 0,
  });
  onInputsStaged(r, t, r.core.dispatches.get(t.id)!, { inputs: [] });
  onResultArriving(r, w, t);
  onResult(r, w, t, {
    taskId: t.id,
    status: WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION,
    exitCode: 137,
    execUsec: 5,
    stdout: "",
    stdoutTruncated: false,
    stdoutLength: 0,
    measured: { method: "proc", memoryMB: 801 },
    exhausted: { resource: "memory", limitMB: 800, peakMB: 801 },
  }, []);
  assert.equal(t.result, WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION, "at the maximum: given up");
  assert.equal(t.failure, "memory exhausted: peak 801 MB over the limit of 800 MB");
  const s = categoryStatsIn(r, "sim");
  assert.equal(s.modeName, "min-waste");
  assert.equal(s.tasksExhausted, 1);
  assert.equal(s.tasksMeasured, 0);
  assert.deepEqual(s.maxSeen, { memory: 801 });
  assert.equal(s.tasks?.done, 1);
  assert.equal(s.tasks?.failed, 1);
});

Deno.test("a category's maximum larger than every worker makes its tasks unfit, and explain() says so", () => {
  const { r } = testReactor();
  joinWorker(r, 1, 2);
  const t = new Task("./big").specifyCategory("big");
  onSubmit(r, t);
  assert.equal(r.fit.count(), 0, "a whole worker fits");
  setCategoryResources(r, "big", "max", { memory: 9000 });
  assert.equal(
    r.fit.unfit.get(t),
    `task ${t.id} needs 9000 MB of memory; the largest worker has 1000`,
  );
  assert.equal(
    explainIn(r, t.id),
    `task ${t.id} needs 9000 MB of memory; the largest worker has 1000`,
  );
  setCategoryResources(r, "big", "max", {});
  assert.equal(r.fit.count(), 0);
});
