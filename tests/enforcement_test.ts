/**
 * Issue 18 through the whole stack: our manager, our real worker, real
 * processes. A task over the memory or disk it declared comes back
 * RESOURCE_EXHAUSTION with the resource, the limit and the peak in its
 * `failure`; its well-behaved neighbour succeeds and the worker serves on;
 * with `--no-enforcement` the same hog runs to its end, measured.
 */

import assert from "node:assert/strict";
import {
  type CompletedTask,
  Task,
  WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION,
  WORK_QUEUE_RESULT_SUCCESS,
  WorkQueue,
} from "../mod.ts";
import { startWorker, tempDir } from "./_harness.ts";

/** Holds `mb` MB of written memory for `seconds`. */
function hold(mb: number, seconds: number): string {
  return `/usr/bin/python3 -c "import time; b = b'x' * (${mb} << 20); time.sleep(${seconds})"`;
}

async function runAll(wq: WorkQueue, tasks: Task[]): Promise<Map<number, CompletedTask>> {
  const ids = tasks.map((t) => wq.submit(t));
  const done = new Map<number, CompletedTask>();
  while (done.size < ids.length) {
    const t = await wq.wait(60);
    assert.ok(t, `only ${done.size} of ${ids.length} tasks came back`);
    done.set(t.id, t);
  }
  return done;
}

const WORKER = ["--cores=3", "--memory=2000", "--disk=2000", "--measure-interval=0.1"];

Deno.test("a memory hog and a disk hog end RESOURCE_EXHAUSTION naming limit and peak; the task beside them and the next one succeed", async () => {
  await using dir = await tempDir();
  await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1" });
  await using _w = startWorker(wq.port, { args: [...WORKER, `--workdir=${dir.path}`] });
  const memoryHog = new Task(hold(300, 5)).specifyCores(1).specifyMemory(100).specifyDisk(100);
  const diskHog = new Task("head -c 62914560 /dev/zero > big; sleep 5")
    .specifyCores(1).specifyMemory(100).specifyDisk(30);
  const fine = new Task("sleep 0.5; echo fine").specifyCores(1).specifyMemory(100).specifyDisk(30);
  const done = await runAll(wq, [memoryHog, diskHog, fine]);

  const m = done.get(memoryHog.id)!;
  assert.equal(m.result, WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION, `${m.failure}`);
  assert.equal(m.outcome, "resource-exhaustion");
  assert.match(m.failure!, /^memory exhausted: peak [\d.]+ MB over the limit of 100 MB$/);
  assert.ok(Number(/peak ([\d.]+)/.exec(m.failure!)![1]) > 100, m.failure!);
  assert.ok(m.measured!.memoryMB! > 100, JSON.stringify(m.measured));

  const d = done.get(diskHog.id)!;
  assert.equal(d.result, WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION, `${d.failure}`);
  assert.match(d.failure!, /^disk exhausted: peak [\d.]+ MB over the limit of 30 MB$/);

  const f = done.get(fine.id)!;
  assert.equal(f.result, WORK_QUEUE_RESULT_SUCCESS, `${f.failure}`);
  assert.equal(f.output, "fine\n");
  assert.equal(f.measured!.method, "proc");
  assert.ok(f.measured!.wallSeconds! >= 0.4, JSON.stringify(f.measured));

  const next = await runAll(wq, [new Task("echo next").specifyCores(1).specifyMemory(100)]);
  assert.equal([...next.values()][0].output, "next\n");
});

Deno.test("with --no-enforcement the memory hog runs to its end, and is measured", async () => {
  await using dir = await tempDir();
  await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1" });
  await using _w = startWorker(wq.port, {
    args: [...WORKER, "--no-enforcement", `--workdir=${dir.path}`],
  });
  const hog = new Task(`${hold(200, 1)} && echo survived`).specifyCores(1).specifyMemory(100);
  const t = [...(await runAll(wq, [hog])).values()][0];
  assert.equal(t.result, WORK_QUEUE_RESULT_SUCCESS, `${t.failure}`);
  assert.equal(t.output, "survived\n");
  assert.ok(t.measured!.memoryMB! > 160, JSON.stringify(t.measured));
});
