// Our manager drives an unmodified CCTools `work_queue_worker` (Debian's
// coop-computing-tools) through the protocol-9 scenarios of the core issue.

import assert from "node:assert/strict";
import {
  Task,
  WORK_QUEUE_RESULT_INPUT_MISSING,
  WORK_QUEUE_RESULT_OUTPUT_MISSING,
  WORK_QUEUE_RESULT_SUCCESS,
  WorkQueue,
} from "../mod.ts";
import { exists, read, startWorker, tempDir, until, waitAll } from "./_harness.ts";

Deno.test("manager drives CCTools work_queue_worker: files, buffers, directories, exit codes, shutdown", async () => {
  await using dir = await tempDir();
  const d = dir.path;
  await Deno.writeTextFile(`${d}/in.txt`, "cached input\n");
  await Deno.mkdir(`${d}/indir/sub`, { recursive: true });
  await Deno.writeTextFile(`${d}/indir/a.txt`, "aaa\n");
  await Deno.writeTextFile(`${d}/indir/sub/b.txt`, "bbbb\n");

  await using wq = new WorkQueue({ port: 0 });
  const debugLog = `${d}/worker.debug`;
  await Deno.mkdir(`${d}/ws`);
  await using worker = startWorker(wq.port, {
    cctools: true,
    args: [
      "--single-shot",
      "-t",
      "60",
      "-d",
      "all",
      "-o",
      debugLog,
      "-s",
      `${d}/ws`,
      "--cores",
      "1",
    ],
  });

  // 1: cached input file + input buffer + output file + env.
  const t1 = new Task(
    "cat in.txt buf.txt > out1.txt; echo one-stdout; echo to-stderr >&2; echo FOO=$FOO",
  );
  t1.specifyInputFile(`${d}/in.txt`, "in.txt");
  t1.specifyInputBuffer("buffer-line\n", "buf.txt", { cache: false });
  t1.specifyOutputFile(`${d}/out1.txt`, "out1.txt");
  t1.specifyEnvironmentVariable("FOO", "bar");
  // 2: reuses the cached input; non-zero exit.
  const t2 = new Task("wc -c < in.txt > out2.txt; exit 3");
  t2.specifyInputFile(`${d}/in.txt`, "in.txt");
  t2.specifyOutputFile(`${d}/out2.txt`, "out2.txt");
  // 3: input directory tree, empty input dir, output directory tree, missing output.
  const t3 = new Task(
    "cat indir/a.txt indir/sub/b.txt; test -d emptydir && echo empty-ok; " +
      "mkdir -p outdir/sub; echo A > outdir/a.txt; echo B > outdir/sub/b.txt",
  );
  t3.specifyDirectory(`${d}/indir`, "indir", { type: "input", recursive: true });
  t3.specifyDirectory(`${d}/emptydir`, "emptydir", { type: "input" });
  t3.specifyDirectory(`${d}/outdir`, "outdir", { type: "output" });
  t3.specifyOutputFile(`${d}/missing.txt`, "missing.txt");
  // 4: a local input that does not exist.
  const t4 = new Task("cat nothere.txt");
  t4.specifyInputFile(`${d}/nothere.txt`);

  for (const t of [t1, t2, t3, t4]) wq.submit(t);
  const done = await waitAll(wq, 4);

  assert.equal(done.get(t1.id)!.result, WORK_QUEUE_RESULT_SUCCESS);
  assert.equal(t1.returnStatus, 0);
  // CCTools' worker measures nothing: the wall time of its result line, the rest empty
  assert.deepEqual(t1.measured, { method: "wall", wallSeconds: t1.executionTime! / 1e6 });
  assert.equal(t1.output, "one-stdout\nto-stderr\nFOO=bar\n");
  assert.equal(await read(`${d}/out1.txt`), "cached input\nbuffer-line\n");
  assert.match(t1.host ?? "", /^127\.0\.0\.1:\d+$/);
  assert.ok(t1.submitTime! <= t1.dispatchTime! && t1.dispatchTime! <= t1.finishTime!);

  assert.equal(t2.result, WORK_QUEUE_RESULT_SUCCESS);
  assert.equal(t2.returnStatus, 3);
  assert.equal((await read(`${d}/out2.txt`)).trim(), "13");

  assert.equal(t3.result, WORK_QUEUE_RESULT_OUTPUT_MISSING);
  assert.match(t3.failure ?? "", /missing\.txt/);
  assert.equal(t3.output, "aaa\nbbbb\nempty-ok\n");
  assert.equal(await read(`${d}/outdir/a.txt`), "A\n");
  assert.equal(await read(`${d}/outdir/sub/b.txt`), "B\n");
  assert.equal(await exists(`${d}/missing.txt`), false);

  assert.equal(t4.result, WORK_QUEUE_RESULT_INPUT_MISSING);
  assert.match(t4.failure ?? "", /nothere\.txt/);

  // The cached input crossed the wire once although two tasks used it.
  const log = await read(debugLog);
  const puts = log.split("\n").filter((l) =>
    /rx from manager: put file-0-[0-9a-f]+-in\.txt /.test(l)
  );
  assert.equal(puts.length, 1, `expected one put of in.txt, saw ${puts.length}`);
  // Non-cached objects were unlinked after retrieval.
  assert.match(log, /rx from manager: unlink buffer-/);

  assert.ok(wq.empty());
  assert.equal(wq.stats.tasksDone, 4);
  assert.equal(wq.shutdownWorkers(0), 1);
  const status = await worker.status;
  assert.equal(status.code, 0, worker.log());
  // The worker removed its workspace on exit.
  await until(() => [...Deno.readDirSync(`${d}/ws`)].length === 0, "the worker's workspace to go");
});

Deno.test("manager requeues the tasks of a lost CCTools worker and they finish on another", async () => {
  await using dir = await tempDir();
  await using wq = new WorkQueue({ port: 0 });
  const first = startWorker(wq.port, {
    cctools: true,
    args: ["--single-shot", "-t", "60", "-s", dir.path],
  });
  const marker = `${dir.path}/marker`;
  const t = new Task(`test -e ${marker} || { touch ${marker}; sleep 30; }; echo finished`);
  t.specifyInputBuffer("x", "payload.txt");
  wq.submit(t);
  await until(() => exists(marker), "the task to start on the first worker");
  first.killTree();
  await first.status;
  await until(() => wq.stats.tasksWaiting === 1, "the task to go back to the queue");
  await using second = startWorker(wq.port, {
    cctools: true,
    args: ["--single-shot", "-t", "60", "-s", dir.path],
  });
  const back = await wq.wait(60);
  assert.equal(back, t);
  assert.equal(t.result, WORK_QUEUE_RESULT_SUCCESS);
  assert.equal(wq.stats.workersLost + wq.stats.workersRemoved >= 1, true);
  assert.equal(wq.stats.tasksRequeued, 1);
  assert.equal(await wq.wait(0), null);
  wq.shutdownWorkers(0);
  await second.status;
});
