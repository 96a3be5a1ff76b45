/**
 * Issue 18 end to end, with our real worker measuring real processes: 40
 * tasks of one category, each holding about 100 MB and keeping one core
 * busy, declare nothing. In FIXED mode each takes the whole worker, one at
 * a time; in MAX mode the first ones do, and once the category is measured
 * the manager sizes the rest and the worker runs several at once. The FIXED
 * run, one task at a time, is a baseline of 12 tasks (its rate does not
 * depend on how many run, and the suite's time does). Each task
 * prints when it started and ended (one clock, the machine's), so the
 * packing is counted from the tasks themselves; the throughput ratio of the
 * two runs is printed, never asserted.
 */

import assert from "node:assert/strict";
import {
  type CompletedTask,
  Task,
  WORK_QUEUE_ALLOCATION_MODE_FIXED,
  WORK_QUEUE_ALLOCATION_MODE_MAX,
  WorkQueue,
} from "../mod.ts";
import { startWorker, tempDir } from "./_harness.ts";

const TASKS = 40;
/** The tasks of the FIXED baseline. */
const BASELINE_TASKS = 12;
const CATEGORY = "hold";
/** Holds 100 MB of written memory and spins one core for 0.1 s; prints its start and end. */
const COMMAND = `s=$(date +%s.%N); /usr/bin/python3 -c "import time; b = b'x' * (100 << 20); ` +
  `t = time.time(); all(time.time() - t < 0.1 for _ in iter(int, 1))"; echo $s $(date +%s.%N)`;

/** The most tasks that ran at once, from the start and end times they printed. */
function mostAtOnce(done: CompletedTask[]): number {
  const edges: [number, number][] = [];
  for (const t of done) {
    const [start, end] = t.output.trim().split(" ").map(Number);
    assert.ok(start > 0 && end >= start, `task ${t.id} printed '${t.output}'`);
    edges.push([start, 1], [end, -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0, most = 0;
  for (const [, d] of edges) most = Math.max(most, now += d);
  return most;
}

interface Run {
  done: CompletedTask[];
  seconds: number;
  most: number;
  wq: WorkQueue;
}

/** Runs `count` tasks of the category in `mode`; returns its rate in tasks/s. */
async function runCategory(mode: number, count: number, body: (r: Run) => void): Promise<number> {
  await using dir = await tempDir();
  await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1", categorySteadyTasks: 4 });
  wq.specifyCategoryMode(CATEGORY, mode);
  await using _worker = startWorker(wq.port, {
    args: ["--cores=4", "--memory=2000", "--disk=2000", `--workdir=${dir.path}`],
  });
  const started = performance.now();
  for (let i = 0; i < count; i++) wq.submit(new Task(COMMAND).specifyCategory(CATEGORY));
  const done: CompletedTask[] = [];
  while (done.length < count) {
    const t = await wq.wait(60);
    assert.ok(t, `only ${done.length} of ${count} tasks came back`);
    assert.equal(t.outcome, "success", `task ${t.id}: ${t.failure} ${t.output}`);
    done.push(t);
  }
  const seconds = (performance.now() - started) / 1000;
  const r = { done, seconds, most: mostAtOnce(done), wq };
  body(r);
  return count / seconds;
}

Deno.test("a category of 40 undeclared 100 MB tasks: FIXED runs one per worker, MAX packs them once measured", async () => {
  const fixed = await runCategory(WORK_QUEUE_ALLOCATION_MODE_FIXED, BASELINE_TASKS, (r) => {
    assert.equal(r.most, 1, "in FIXED mode an undeclared task takes the whole worker");
  });
  const sized = await runCategory(WORK_QUEUE_ALLOCATION_MODE_MAX, TASKS, (r) => {
    for (const t of r.done) {
      const m = t.measured;
      assert.ok(m && m.method !== "wall", `task ${t.id} measured: ${JSON.stringify(m)}`);
      assert.ok(m.memoryMB! > 90 && m.memoryMB! < 250, `task ${t.id}: ${JSON.stringify(m)}`);
    }
    const s = r.wq.categoryStats(CATEGORY);
    assert.equal(s.steady, true, JSON.stringify(s));
    assert.equal(s.tasksMeasured, TASKS);
    assert.ok(s.firstAllocation, JSON.stringify(s));
    assert.ok(s.firstAllocation.memory! < 2000, JSON.stringify(s.firstAllocation));
    assert.ok(s.firstAllocation.cores! <= 2, JSON.stringify(s.firstAllocation));
    assert.ok(r.most >= 2, `MAX mode ran at most ${r.most} task(s) at once`);
    console.log(
      `MAX mode: up to ${r.most} tasks at once; first allocation ${
        JSON.stringify(s.firstAllocation)
      }`,
    );
  });
  console.log(
    `FIXED ${fixed.toFixed(2)} tasks/s (${BASELINE_TASKS} tasks), MAX ${
      sized.toFixed(2)
    } tasks/s ` +
      `(${TASKS} tasks): ${(sized / fixed).toFixed(2)}x the throughput`,
  );
});
