import assert from "node:assert/strict";
import { type ProgressCounts, renderProgress } from "./progress.ts";

const BASE: ProgressCounts = {
  total: 10,
  done: 0,
  succeeded: 0,
  failed: 0,
  running: 0,
  waiting: 10,
  workers: 0,
  elapsedMs: 0,
};

Deno.test("renderProgress() without a bar: the counts and the rate", () => {
  assert.equal(
    renderProgress(BASE, { bar: false }),
    "0/10: 0 ok, 0 failed; 0 running, 10 waiting; 0 workers; 0.0 tasks/s",
  );
  assert.equal(
    renderProgress(
      {
        ...BASE,
        done: 7,
        succeeded: 6,
        failed: 1,
        running: 1,
        waiting: 2,
        workers: 1,
        elapsedMs: 2000,
      },
      { bar: false },
    ),
    "7/10: 6 ok, 1 failed; 1 running, 2 waiting; 1 worker; 3.5 tasks/s",
  );
});

Deno.test("renderProgress() shows a whole rate from 10 tasks a second", () => {
  const c = { ...BASE, total: 5000, done: 4210, succeeded: 4210, waiting: 790, elapsedMs: 3000 };
  assert.match(renderProgress(c, { bar: false }), /; 1403 tasks\/s$/);
});

Deno.test("renderProgress() fills the bar in proportion to done/total, up to 40 cells", () => {
  const c = { ...BASE, done: 5, succeeded: 5, waiting: 5, workers: 2, elapsedMs: 1000 };
  const line = renderProgress(c, { columns: 200 });
  assert.equal(
    line,
    `[${"#".repeat(20)}${
      ".".repeat(20)
    }] 5/10: 5 ok, 0 failed; 0 running, 5 waiting; 2 workers; 5.0 tasks/s`,
  );
  const empty = renderProgress(BASE, { columns: 200 });
  assert.match(empty, /^\[\.{40}\] 0\/10:/);
  const full = renderProgress({ ...BASE, done: 10, succeeded: 10, waiting: 0 }, { columns: 200 });
  assert.match(full, /^\[#{40}\] 10\/10:/);
});

Deno.test("renderProgress() fits the terminal: a shorter bar, then none, then a cut line", () => {
  const c = { ...BASE, done: 5, succeeded: 5, waiting: 5, workers: 2, elapsedMs: 1000 };
  for (const columns of [200, 100, 80, 70, 40, 1]) {
    const line = renderProgress(c, { columns });
    assert.ok(line.length < columns || columns === 1, `${columns}: ${line}`);
  }
  assert.match(renderProgress(c, { columns: 80 }), /^\[#####\.{5}\] 5\/10:/);
  assert.match(renderProgress(c, { columns: 70 }), /^5\/10: 5 ok/);
  assert.equal(renderProgress(c, { columns: 11 }), "5/10: 5 ok");
  assert.equal(renderProgress(c, { columns: 1 }), "");
});

Deno.test("renderProgress() with no tasks draws an empty bar", () => {
  assert.match(
    renderProgress({ ...BASE, total: 0, waiting: 0 }, { columns: 200 }),
    /^\[\.+\] 0\/0:/,
  );
});
