/**
 * Our worker measures every task (issue 18): `info task-measured` before
 * its `result` line says the peak memory of its processes, its CPU and
 * wall time and the disk of its sandbox; a task that goes over the memory
 * or disk it asked for is stopped with result 16 (RESOURCE_EXHAUSTION),
 * unless the worker runs with `--no-enforcement`. Real processes, a
 * scripted manager on loopback.
 */

import assert from "node:assert/strict";
import { tempDir } from "./_harness.ts";
import { type FakeConn, Scenario, task } from "./_fake_manager.ts";
import { parseTaskMeasured, type TaskMeasured } from "../lib/wire/task_measured.ts";
import { WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION } from "../lib/constants.ts";

const PY = "/usr/bin/python3";

/** A python process that holds `mb` MB of written memory for `seconds`. */
function hold(mb: number, seconds: number): string {
  return `${PY} -c "b = b'x' * (${mb}*1024*1024); import time; time.sleep(${seconds})"`;
}

interface Finished {
  status: number;
  exit: number;
  usec: number;
  report?: TaskMeasured;
}

/** Collects the results of `ids` (send_results until all came), with their task-measured lines. */
async function collect(c: FakeConn, ids: number[]): Promise<Map<number, Finished>> {
  const out = new Map<number, Finished>();
  while (out.size < ids.length) {
    const from = c.received.length;
    for (const [header] of await c.results()) {
      const [, status, exit, , usec, id] = header.split(" ").map(Number);
      out.set(id, { status, exit, usec });
    }
    for (const line of c.received.slice(from)) {
      const report = parseTaskMeasured(line.split(" "));
      if (report && out.has(report.taskId)) out.get(report.taskId)!.report = report;
    }
  }
  for (const id of ids) await c.send(`kill ${id}\n`);
  return out;
}

const ARGS = ["--cores=3", "--measure-interval=0.1"];

Deno.test("a task over its memory or its disk is stopped with result 16; its neighbour and the next task run", async () => {
  await using dir = await tempDir();
  await using s = Scenario.start(dir.path, ARGS);
  const c = await s.accept();
  await c.send(task(1, hold(300, 5), "cores 1\nmemory 100\ndisk 100\n"));
  await c.send(
    task(2, "head -c 62914560 /dev/zero > big; sleep 5", "cores 1\nmemory 100\ndisk 30\n"),
  );
  await c.send(task(3, "sleep 0.5; echo ok", "cores 1\nmemory 100\ndisk 30\n"));
  const rs = await collect(c, [1, 2, 3]);
  const [memory, disk, fine] = [rs.get(1)!, rs.get(2)!, rs.get(3)!];
  assert.equal(memory.status, WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION, c.received.join("\n"));
  assert.equal(memory.report?.exhausted?.resource, "memory");
  assert.equal(memory.report.exhausted.limitMB, 100);
  assert.ok(memory.report.exhausted.peakMB > 100, JSON.stringify(memory.report));
  assert.ok(memory.report.measured.memoryMB! > 100, JSON.stringify(memory.report));
  assert.equal(disk.status, WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION, c.received.join("\n"));
  assert.equal(disk.report?.exhausted?.resource, "disk");
  assert.equal(disk.report.exhausted.limitMB, 30);
  assert.ok(disk.report.exhausted.peakMB > 30, JSON.stringify(disk.report));
  assert.equal(fine.status, 0);
  assert.equal(fine.report?.exhausted, undefined);
  assert.ok(fine.report?.measured.wallSeconds! > 0.4, JSON.stringify(fine.report));

  await c.send(task(4, "echo again", "cores 1\nmemory 100\ndisk 30\n"));
  const next = await collect(c, [4]);
  assert.equal(next.get(4)!.status, 0);
  assert.equal(next.get(4)!.report?.measured.method, "proc");
  await c.send("exit\n");
  await c.closed();
  await s.assertCleanExit();
});

Deno.test("the measured peak memory of a task is what it held; CPU and wall time are sane", async () => {
  await using dir = await tempDir();
  await using s = Scenario.start(dir.path, ARGS);
  const c = await s.accept();
  await c.send(task(1, hold(200, 1.5), "cores 1\n"));
  await c.send(task(2, "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done", "cores 1\n"));
  const rs = await collect(c, [1, 2]);
  const held = rs.get(1)!;
  assert.equal(held.status, 0);
  const memory = held.report!.measured.memoryMB!;
  assert.ok(memory > 160 && memory < 240, `measured ${memory} MB for 200 MB held`);

  const busy = rs.get(2)!;
  const m = busy.report!.measured;
  assert.equal(busy.status, 0);
  assert.ok(m.cpuSeconds! > 0, JSON.stringify(m));
  assert.ok(m.cores! > 0, JSON.stringify(m));
  // The same wall time as the result line's, in seconds.
  assert.ok(Math.abs(m.wallSeconds! - busy.usec / 1e6) < 0.01, `${m.wallSeconds} vs ${busy.usec}`);

  await c.send("exit\n");
  await c.closed();
  await s.assertCleanExit();
});

Deno.test("a task shorter than an interval is measured from its shell's rusage alone", async () => {
  await using dir = await tempDir();
  await using s = Scenario.start(dir.path, ["--measure-interval=60"]);
  const c = await s.accept();
  await c.send(task(1, "true", "cores 1\n"));
  await c.send(task(2, hold(250, 0), "cores 1\n"));
  const rs = await collect(c, [1, 2]);
  // Its CPU time, no disk, and no memory below the worker's own peak.
  const tiny = rs.get(1)!.report!.measured;
  assert.equal(tiny.method, "proc");
  assert.equal(tiny.memoryMB, undefined);
  assert.equal(tiny.diskMB, undefined);
  assert.ok(tiny.cpuSeconds! >= 0 && tiny.wallSeconds! > 0, JSON.stringify(tiny));
  // Above it, the peak of its largest process.
  const big = rs.get(2)!.report!.measured;
  assert.ok(big.memoryMB! > 250 && big.memoryMB! < 300, JSON.stringify(big));
  await c.send("exit\n");
  await c.closed();
  await s.assertCleanExit();
});

Deno.test("with --no-enforcement a task over its memory runs to its end and is still measured", async () => {
  await using dir = await tempDir();
  await using s = Scenario.start(dir.path, [...ARGS, "--no-enforcement"]);
  const c = await s.accept();
  await c.send(task(1, hold(300, 0.5), "cores 1\nmemory 100\ndisk 100\n"));
  const r = (await collect(c, [1])).get(1)!;
  assert.equal(r.status, 0, c.received.join("\n"));
  assert.equal(r.exit, 0);
  assert.equal(r.report?.exhausted, undefined);
  assert.ok(r.report!.measured.memoryMB! > 100, JSON.stringify(r.report));
  await c.send("exit\n");
  await c.closed();
  await s.assertCleanExit();
});
