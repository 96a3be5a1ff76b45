// Categories and automatic sizing against a scripted worker (tests/_fake_worker.ts) that
// reports measurements with `info task-measured`: the first task of a MAX category takes the
// whole worker, then the rest are sized from its measurement and run several at once; a task
// that runs out at its first allocation runs again with the maximum; one that runs out at the
// maximum ends RESOURCE_EXHAUSTION, its outputs not fetched; CCTools' work_queue_status -A and
// our wq-status -A show what was measured and allocated; our worker and CCTools' run tasks with
// their labelled allocation, two at once on two cores.

import assert from "node:assert/strict";
import {
  type QueueEvent,
  Task,
  WORK_QUEUE_ALLOCATION_MODE_MAX,
  WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION,
  WORK_QUEUE_RESULT_SUCCESS,
  WorkQueue,
} from "../mod.ts";
import { FakeWorker } from "./_fake_worker.ts";
import { cctoolsEnv, run, runStatusTool, tableRow } from "./_catalog.ts";
import { requireBinary, startWorker, tempDir } from "./_harness.ts";

/** A fake worker with 2 cores, 2000 MB of memory and 2000 MB of disk. */
function connect(port: number): Promise<FakeWorker> {
  return FakeWorker.connect(port, {
    answerChecks: true,
    handshake: "workqueue 9 fake Linux x86_64 8.0.0\ninfo worker-id worker-fake\n" +
      "resource workers 1 1 1\nresource disk 2000 2000 2000\nresource memory 2000 2000 2000\n" +
      "resource gpus 0 0 0\nresource cores 2 2 2\nresource tag 0\ninfo worker-end-time 0\n",
  });
}

interface Block {
  id: number;
  cores?: number;
  memory?: number;
  disk?: number;
}

/** Reads the next task block: its id and resource lines. */
async function nextBlock(w: FakeWorker): Promise<Block> {
  const head = await w.expect(/^task \d+$/);
  assert.ok(head, "a task block");
  const b: Block = { id: Number(head.split(" ")[1]) };
  for (;;) {
    const line = await w.expect(/^(cores|memory|disk|end)\b/);
    assert.ok(line !== null, "the block's end");
    if (line === "end") return b;
    const [k, v] = line.split(" ");
    b[k as "cores" | "memory" | "disk"] = Number(v);
  }
}

/** Answers `send_results` with the given entries (each: the info lines, the result line, stdout). */
async function report(w: FakeWorker, entries: string): Promise<void> {
  await w.send("available_results\n");
  assert.equal(await w.expect(/^send_results/), "send_results -1");
  await w.send(entries + "end\n");
}

function measured(id: number, extra = ""): string {
  return `info task-measured ${id} method=cgroup memory=100 disk=10 cpu=0.9 wall=1 cores=0.9${extra}\n`;
}

const WHOLE = { cores: 2, memory: 2000, disk: 2000 };

Deno.test("a MAX category: the first task takes the worker, the rest are sized from its measurement", async () => {
  await using wq = new WorkQueue({
    port: 0,
    hostname: "127.0.0.1",
    categorySteadyTasks: 1,
    logger: () => {},
  });
  wq.specifyCategoryMode("align", WORK_QUEUE_ALLOCATION_MODE_MAX);
  const tasks = Array.from({ length: 5 }, (_, i) => new Task(`echo ${i}`).specifyCategory("align"));
  for (const t of tasks) wq.submit(t);
  const w = await connect(wq.port);
  try {
    const first = await nextBlock(w);
    assert.deepEqual(first, { id: tasks[0].id, ...WHOLE });
    assert.match(
      wq.explain(tasks[1].id),
      /waiting for measurements \(0 so far, 1 in a row needed\)/,
    );
    assert.match(
      wq.explain(first.id),
      /runs with the category's maximum \(cores 2, memory 2000 MB/,
    );
    await report(w, measured(first.id) + `result 0 0 2 1000000 ${first.id}\n0\n`);
    assert.equal(await wq.wait(30), tasks[0]);
    assert.deepEqual(tasks[0].measured, {
      method: "cgroup",
      memoryMB: 100,
      diskMB: 10,
      cpuSeconds: 0.9,
      wallSeconds: 1,
      cores: 0.9,
    });
    // Sized: 1 core, 100 MB + a third of a 250 MB bucket -> 250, 10 MB of disk -> 250.
    const sized = { cores: 1, memory: 250, disk: 250 };
    const [a, b] = [await nextBlock(w), await nextBlock(w)];
    assert.deepEqual([a, b], [{ id: tasks[1].id, ...sized }, { id: tasks[2].id, ...sized }]);
    assert.match(
      wq.explain(tasks[3].id),
      /category 'align' \(MAX\) sized it from 1 measurement\(s\): cores 1, memory 250 MB, disk 250 MB/,
    );
    const stats = wq.categoryStats("align");
    assert.equal(stats.modeName, "max");
    assert.equal(stats.steady, true);
    assert.equal(stats.tasksMeasured, 1);
    assert.deepEqual(stats.firstAllocation, sized);
    assert.deepEqual(stats.maxSeen, { cores: 0.9, memory: 100, disk: 10 });
    assert.equal(stats.tasks?.inState.running, 2);

    // What the status tools show while two run and two wait.
    const status = requireBinary("work_queue_status");
    const able = await run([status, "-A", "127.0.0.1", String(wq.port)], cctoolsEnv(1));
    assert.equal(able.code, 0, able.stderr);
    // DISPATCHED, WAITING, FIT-WORKERS, then the largest measured
    assert.equal(tableRow(able.stdout, "align")?.join(" "), "align 2 2 1 ~0.900 ~100 ~10");
    const ours = await runStatusTool(["-A", "127.0.0.1", String(wq.port)]);
    assert.equal(ours.code, 0, ours.stderr);
    assert.deepEqual(tableRow(ours.stdout, "align")?.slice(-2), ["1/250/250", "2/2000/2000"]);

    // As each ends, the next waiting one takes its place.
    for (const [i, t] of tasks.slice(1).entries()) {
      await report(w, measured(t.id) + `result 0 0 2 1000 ${t.id}\n0\n`);
      assert.equal(await wq.wait(30), t);
      assert.equal(t.result, WORK_QUEUE_RESULT_SUCCESS);
      const next = tasks[i + 3];
      if (next) assert.deepEqual(await nextBlock(w), { id: next.id, ...sized });
    }
    assert.equal(wq.categoryStats("align").tasksMeasured, 5);
    assert.equal(wq.categoryStats("align").average.memoryMB, 100);
  } finally {
    w.close();
  }
});

Deno.test("a task that runs out at its first allocation runs again with the maximum, then succeeds", async () => {
  await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1", logger: () => {} });
  wq.specifyCategoryMode("sim", WORK_QUEUE_ALLOCATION_MODE_MAX);
  wq.specifyCategoryFirstAllocationGuess("sim", { cores: 1, memory: 250, disk: 250 });
  const events: QueueEvent[] = [];
  const stream = wq.events();
  const reading = (async () => {
    for await (const e of stream) events.push(e);
  })();
  const t = new Task("./simulate").specifyCategory("sim").specifyMaxRetries(1);
  wq.submit(t);
  const w = await connect(wq.port);
  try {
    const first = await nextBlock(w);
    assert.deepEqual(first, { id: t.id, cores: 1, memory: 250, disk: 250 });
    await report(
      w,
      measured(t.id, " exhausted=memory limit=250 peak=251") + `result 16 137 0 1000 ${t.id}\n`,
    );
    const again = await nextBlock(w);
    assert.deepEqual(again, { id: t.id, ...WHOLE });
    assert.match(
      wq.explain(t.id),
      /ran out of a resource at the first allocation of category 'sim'/,
    );
    await report(w, measured(t.id) + `result 0 0 3 1000 ${t.id}\nok\n`);
    assert.equal(await wq.wait(30), t);
    assert.equal(t.result, WORK_QUEUE_RESULT_SUCCESS);
    assert.equal(t.output, "ok\n");
    assert.equal(t.attempts, 0, "not counted against maxRetries");
    const retried = events.find((e) => e.type === "task-retried");
    assert.equal(retried?.type === "task-retried" && retried.cause, "resource-exhaustion");
    const s = wq.categoryStats("sim");
    assert.equal(s.tasksExhausted, 1);
    assert.equal(s.maxSeen.memory, 251);
  } finally {
    w.close();
    await wq.close();
    await reading;
  }
});

Deno.test("a task that runs out at the maximum, or of what it declared, ends RESOURCE_EXHAUSTION", async () => {
  await using dir = await tempDir();
  const log = `${dir.path}/transactions.log`;
  await using wq = new WorkQueue({
    port: 0,
    hostname: "127.0.0.1",
    logger: () => {},
    transactionsLog: log,
  });
  wq.specifyCategoryMode("big", WORK_QUEUE_ALLOCATION_MODE_MAX); // never measured: the maximum
  const atMax = new Task("./hog > out.txt").specifyCategory("big")
    .specifyOutputFile(`${dir.path}/out.txt`, "out.txt");
  const declared = new Task("./hog").specifyMemory(100); // FIXED, declared
  const unsaid = new Task("./hog").specifyMemory(100); // the worker does not say which
  for (const t of [atMax, declared, unsaid]) wq.submit(t);
  const w = await connect(wq.port);
  try {
    const b = await nextBlock(w);
    assert.deepEqual(b, { id: atMax.id, ...WHOLE });
    await report(
      w,
      measured(atMax.id, " exhausted=memory limit=2000 peak=2100") +
        `result 16 137 0 1000 ${atMax.id}\n`,
    );
    assert.equal(await wq.wait(30), atMax);
    assert.equal(atMax.result, WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION);
    assert.equal(atMax.outcome, "resource-exhaustion");
    assert.equal(atMax.failure, "memory exhausted: peak 2100 MB over the limit of 2000 MB");
    assert.equal(atMax.measured?.memoryMB, 100);
    assert.ok(!w.transcript.some((l) => l.startsWith("get ")), "its outputs were not fetched");

    const [c, d] = [await nextBlock(w), await nextBlock(w)];
    assert.deepEqual([c.id, d.id, c.memory, d.memory], [declared.id, unsaid.id, 100, 100]);
    await report(
      w,
      measured(declared.id, " exhausted=memory limit=100 peak=120") +
        `result 16 137 0 1000 ${declared.id}\n` +
        // a malformed report (no method) is ignored
        `info task-measured ${unsaid.id} memory=1\nresult 16 137 0 1000 ${unsaid.id}\n`,
    );
    const done = new Set([await wq.wait(30), await wq.wait(30)]);
    assert.deepEqual(done, new Set([declared, unsaid]));
    assert.equal(declared.failure, "memory exhausted: peak 120 MB over the limit of 100 MB");
    assert.match(
      unsaid.failure ?? "",
      /^worker .+ reported resource exhaustion, without saying which resource$/,
    );
    assert.deepEqual(unsaid.measured, { method: "wall", wallSeconds: 0.001 });
    await wq.close();
    const text = await Deno.readTextFile(log);
    assert.match(text, new RegExp(`TASK ${atMax.id} RUNNING \\S+  MAX_RESOURCES `));
    assert.match(
      text,
      new RegExp(
        `TASK ${atMax.id} RETRIEVED RESOURCE_EXHAUSTION  137  \\{"memory":\\[2000,"MB"\\]\\} ` +
          `\\{"memory":\\[100,"MB"\\],"disk":\\[10,"MB"\\],"cores":\\[0\\.9,"cores"\\],` +
          `"cpu_time":\\[0\\.9,"s"\\],"wall_time":\\[1,"s"\\]\\}\n`,
      ),
    );
    assert.match(
      text,
      new RegExp(`TASK ${unsaid.id} RETRIEVED RESOURCE_EXHAUSTION  137  \\{\\} \\{\\}\n`),
    );
  } finally {
    w.close();
  }
});

for (const cctools of [false, true]) {
  const name = cctools ? "CCTools' work_queue_worker" : "our worker";
  Deno.test(`${name} runs a category's tasks with their labelled allocation, two at once on 2 cores`, async () => {
    await using dir = await tempDir();
    await using wq = new WorkQueue({ port: 0, hostname: "127.0.0.1", logger: () => {} });
    wq.specifyCategoryMode("pack", WORK_QUEUE_ALLOCATION_MODE_MAX);
    wq.specifyCategoryFirstAllocationGuess("pack", { cores: 1, memory: 100, disk: 100 });
    // Each marks that it started, then waits (up to 60 s) until two have: one at a time, the
    // first would give up and print 1.
    const marks = `${dir.path}/marks`;
    await Deno.mkdir(marks);
    const cmd =
      `touch ${marks}/$$; i=0; while [ $(ls ${marks} | wc -l) -lt 2 ] && [ $i -lt 600 ]; ` +
      `do sleep 0.1; i=$((i+1)); done; ls ${marks} | wc -l`;
    const tasks = [0, 1, 2].map(() => new Task(cmd).specifyCategory("pack"));
    for (const t of tasks) wq.submit(t);
    await using _w = startWorker(wq.port, {
      cctools,
      args: ["--cores", "2", "--memory", "2000", "--disk", "2000", "--single-shot"],
    });
    for (let i = 0; i < 3; i++) assert.ok(await wq.wait(120));
    for (const t of tasks) {
      assert.equal(t.ok, true, t.output);
      assert.ok(Number(t.output.trim()) >= 2, `task ${t.id} saw ${t.output.trim()} started`);
      assert.ok(t.measured, "measured: at least the wall time");
    }
    assert.equal(wq.categoryStats("pack").tasks?.done, 3);
    wq.shutdownWorkers(0);
  });
}
