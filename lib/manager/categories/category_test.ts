import assert from "node:assert/strict";
import {
  WORK_QUEUE_ALLOCATION_MODE_FIXED,
  WORK_QUEUE_ALLOCATION_MODE_MAX,
  WORK_QUEUE_ALLOCATION_MODE_MAX_THROUGHPUT,
  WORK_QUEUE_ALLOCATION_MODE_MIN_WASTE,
} from "../../constants.ts";
import type { Measured } from "../../measured.ts";
import { Task } from "../../task.ts";
import { kInternal } from "../../task_internal.ts";
import { allocationOf, Categories } from "./categories.ts";
import { Category } from "./category.ts";

const WORKER = { cores: 4, memory: 4000, disk: 8000, gpus: 0 };

function m(memoryMB: number, cores = 1, diskMB = 10, wallSeconds = 10): Measured {
  return { method: "cgroup", memoryMB, cores, diskMB, wallSeconds };
}

/** A category in `mode` fed `values` (memory MB), steady after `n`. */
function fed(mode: number, values: number[], n = values.length): Category {
  const c = new Category("c");
  c.mode = mode;
  for (const v of values) c.accumulate(m(v), { steadyAfter: n, largest: () => WORKER });
  return c;
}

Deno.test("Category in FIXED mode sizes nothing, and fills in only from its maximum", () => {
  const c = fed(WORK_QUEUE_ALLOCATION_MODE_FIXED, [100, 100], 1);
  assert.equal(c.active, false);
  assert.equal(c.measured, 2);
  assert.deepEqual(c.maxSeen, { cores: 1, memory: 100, disk: 10 });
  assert.equal(c.first, undefined);
  assert.deepEqual(c.request({}, "first"), { req: {}, fill: false });
  c.max = { memory: 500 };
  assert.equal(c.active, true);
  assert.deepEqual(c.request({}, "first"), { req: { memory: 500 }, fill: false });
  assert.deepEqual(c.request({ memory: 50 }, "first"), { req: { memory: 50 }, fill: false });
  assert.deepEqual(c.onExhausted({}, "first", undefined), {
    retry: false,
    why: "category 'c' is in FIXED mode",
  });
});

Deno.test("Category in MAX mode runs with the maximum until steady, then with the largest seen", () => {
  const c = fed(WORK_QUEUE_ALLOCATION_MODE_MAX, [100, 300], 3);
  assert.equal(c.steady, false);
  assert.deepEqual(c.request({}, "first"), { req: {}, fill: true }); // a whole worker
  assert.deepEqual(allocationOf(c.request({}, "first"), WORKER), WORKER);
  assert.equal(c.sizedAs("first"), "max");
  c.accumulate(m(200), { steadyAfter: 3, largest: () => WORKER });
  // 300 was new (first bucket 250), so three in a row counts from it: not yet
  assert.equal(c.steady, false);
  c.accumulate(m(280), { steadyAfter: 3, largest: () => WORKER });
  assert.equal(c.steady, true);
  // 300 + 83, rounded up to 250 MB buckets; 10 MB disk + 83 -> 250; 1 core
  assert.deepEqual(c.first, { cores: 1, memory: 500, disk: 250 });
  assert.deepEqual(c.request({}, "first").req, { cores: 1, memory: 500, disk: 250 });
  assert.equal(c.sizedAs("first"), "first");
  // the maximum label is still the whole worker
  assert.deepEqual(c.request({}, "max"), { req: {}, fill: true });
});

Deno.test("Category: a new largest value before steady state starts the count again", () => {
  const c = fed(WORK_QUEUE_ALLOCATION_MODE_MAX, [100, 100], 2);
  assert.equal(c.steady, true);
  const d = fed(WORK_QUEUE_ALLOCATION_MODE_MAX, [100, 900], 2);
  assert.equal(d.steady, false);
  assert.equal(d.first, undefined);
});

Deno.test("Category: declared values stay, min and max clamp the labelled ones", () => {
  const c = new Category("c");
  c.mode = WORK_QUEUE_ALLOCATION_MODE_MAX;
  c.max = { memory: 3000, cores: 2 };
  c.setMin({ disk: 400 });
  c.accumulate(m(100, 1, 10), { steadyAfter: 1, largest: () => WORKER });
  // memory 250 (under the max), disk raised to the minimum
  assert.deepEqual(c.first, { cores: 1, memory: 250, disk: 400 });
  assert.deepEqual(c.request({ memory: 1000 }, "first").req, { cores: 1, memory: 1000, disk: 400 });
  // the maximum: the category's, the rest of the worker
  const max = c.request({}, "max");
  assert.deepEqual(max.req, { memory: 3000, cores: 2 });
  assert.deepEqual(allocationOf(max, WORKER), { cores: 2, memory: 3000, disk: 8000, gpus: 0 });
  // an explicit maximum caps MAX mode's value
  const d = new Category("d");
  d.mode = WORK_QUEUE_ALLOCATION_MODE_MAX;
  d.max = { memory: 200 };
  d.accumulate(m(150), { steadyAfter: 1 });
  assert.equal(d.first?.memory, 200);
});

Deno.test("Category: exhaustion at the first allocation retries at the maximum, once", () => {
  const c = fed(WORK_QUEUE_ALLOCATION_MODE_MAX, [100], 1);
  const e = { resource: "memory" as const, limitMB: 250, peakMB: 251 };
  assert.deepEqual(c.onExhausted({}, "first", e), { retry: true });
  assert.deepEqual(c.onExhausted({}, "max", e), {
    retry: false,
    why: "it ran with the maximum of category 'c'",
  });
  assert.deepEqual(c.onExhausted({ memory: 250 }, "first", e), {
    retry: false,
    why: "the task declared its memory",
  });
  c.max = { memory: 200 };
  assert.equal(c.onExhausted({}, "first", e).retry, false);
  // an exhaustion raises the maximum seen, not the histogram
  c.accumulate(m(251), { exhausted: e, steadyAfter: 1 });
  assert.equal(c.exhausted, 1);
  assert.equal(c.measured, 1);
  assert.equal(c.maxSeen.memory, 251);
});

Deno.test("Category in MIN_WASTE and MAX_THROUGHPUT modes takes a small first allocation for a long tail", () => {
  const values = [...Array(19).fill(200), 3000];
  const w = fed(WORK_QUEUE_ALLOCATION_MODE_MIN_WASTE, values, 20);
  // the outlier came last: a new maximum, so not steady; feed steady values
  for (let i = 0; i < 20; i++) w.accumulate(m(200), { steadyAfter: 20 });
  assert.equal(w.steady, true);
  assert.equal(w.first?.memory, 250);
  const t = fed(WORK_QUEUE_ALLOCATION_MODE_MAX_THROUGHPUT, values, 20);
  for (let i = 0; i < 20; i++) t.accumulate(m(200), { steadyAfter: 20 });
  assert.equal(t.first?.memory, 250);
  // MAX mode takes the outlier
  const x = fed(WORK_QUEUE_ALLOCATION_MODE_MAX, values, 20);
  for (let i = 0; i < 20; i++) x.accumulate(m(200), { steadyAfter: 20, largest: () => WORKER });
  assert.equal(x.first?.memory, 3250);
});

Deno.test("Category: a first allocation guess makes it steady at once; a wall time alone teaches nothing", () => {
  const c = new Category("c");
  c.mode = WORK_QUEUE_ALLOCATION_MODE_MAX;
  c.setFirstGuess({ cores: 1, memory: 300 });
  assert.equal(c.steady, true);
  assert.deepEqual(c.request({}, "first").req, { cores: 1, memory: 300 });
  assert.equal(c.accumulate({ method: "wall", wallSeconds: 3 }, { steadyAfter: 1 }), false);
  assert.equal(c.measured, 0);
});

Deno.test("Categories.sized answers undefined without a sizing category, and the label otherwise", () => {
  const cats = new Categories();
  const t = new Task("true").specifyCategory("a");
  assert.equal(cats.sizing, false);
  assert.equal(cats.sized(t), undefined);
  cats.lookup("b").mode = WORK_QUEUE_ALLOCATION_MODE_MAX;
  cats.changed();
  assert.equal(cats.sizing, true);
  assert.equal(cats.sized(t), undefined); // another category
  assert.equal(cats.sizedAs(t), undefined);
  t.category = "b";
  assert.deepEqual(cats.sized(t), { req: {}, fill: true });
  assert.equal(cats.sizedAs(t), "max");
  t[kInternal].label = "max";
  assert.equal(cats.sizedAs(t), "max");
});
