/**
 * What our foreman tells its manager about its workers, seen from a
 * scripted manager: the resource report with sums, smallest and largest
 * worker, and its queue's statistics after each report and in answer to
 * `check` (as CCTools' foreman sends them).
 */

import assert from "node:assert/strict";
import { listeningPort, startWorker, tempDir } from "./_harness.ts";
import type { FakeConn } from "./_fake_manager.ts";
import { Scenario } from "./_fake_manager.ts";

/** Lines up to and including `last`. */
async function linesUntil(c: FakeConn, last: RegExp): Promise<string[]> {
  const out: string[] = [];
  for (;;) {
    const l = await c.line();
    assert.ok(l !== null, `EOF; got:\n${c.received.join("\n")}`);
    out.push(l);
    if (last.test(l)) return out;
  }
}

Deno.test("our foreman reports its workers' sums, smallest and largest, and its queue's statistics", async () => {
  await using dir = await tempDir("wq-fm-reports-");
  await using s = Scenario.start(dir.path, ["--foreman", "--protocol", "9"]);
  const c = await s.accept();
  // No workers yet: nothing to offer but its disk.
  assert.ok(c.received.includes("resource workers 0 0 0"), c.received.join("\n"));
  assert.ok(c.received.includes("resource cores 0 0 0"), c.received.join("\n"));
  assert.ok(c.received.includes("resource disk 1000 0 0"), c.received.join("\n"));

  const fport = await listeningPort(s.worker, "the foreman");
  await using small = startWorker(fport, { args: ["--cores=1", "--memory=300", "--disk=400"] });
  let report = await linesUntil(c, /^info tasks_with_results /);
  assert.ok(report.includes("resource workers 1 1 1"), report.join("\n"));
  assert.ok(report.includes("resource cores 1 1 1"), report.join("\n"));
  await using big = startWorker(fport, { args: ["--cores=3", "--memory=700", "--disk=2000"] });
  report = await linesUntil(c, /^info tasks_with_results /);
  assert.deepEqual(report.filter((l) => l.startsWith("resource ")), [
    "resource workers 2 1 1",
    "resource disk 1000 400 1000", // the largest disk is no more than the foreman's own
    "resource memory 1000 300 700",
    "resource gpus 0 0 0",
    "resource cores 4 1 3",
    "resource tag 0",
  ]);
  assert.ok(report.includes("info end_of_resource_update 0"), report.join("\n"));
  assert.ok(report.includes("info workers_joined 2"), report.join("\n"));
  assert.ok(report.includes("info tasks_waiting 0"), report.join("\n"));

  // `check`: alive, the tasks it holds, and the statistics.
  await c.send("check\n");
  const answer = await linesUntil(c, /^info tasks_with_results /);
  assert.deepEqual(answer.slice(0, 3), ["alive", "info tasks_running 0", "info workers_joined 2"]);

  await big[Symbol.asyncDispose]();
  report = await linesUntil(c, /^info tasks_with_results /);
  assert.ok(report.includes("resource workers 1 1 1"), report.join("\n"));
  assert.ok(report.includes("resource cores 1 1 1"), report.join("\n"));
  await small[Symbol.asyncDispose]();
  await c.send("exit\n");
  await s.assertCleanExit();
});
