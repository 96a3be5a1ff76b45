/**
 * Our foreman between CCTools and CCTools: Debian's Python manager above it
 * and two of Debian's `work_queue_worker`s below it (and, the other way
 * round, our manager above it). Every task must come back with its exit
 * status, stdout and output files, and the shared cached input must reach
 * the foreman once.
 */

import assert from "node:assert/strict";
import { listeningPort, type Proc, startWorker, tempDir, until, waitAll } from "./_harness.ts";
import { cctoolsEnv } from "./_catalog.ts";
import { dataServer, events, startPythonFixture } from "./_python_fixtures.ts";
import { Task, WorkQueue } from "../mod.ts";

const FIXTURE = "python_foreman_manager.py";
const TASKS = 20;

/** Waits for the manager's `{"event": EVENT}` line; on a timeout, fails with `logs()`. */
async function managerSaid(manager: Proc, event: string, logs: () => string): Promise<void> {
  try {
    await until(() => events(manager.log()).some((e) => e.event === event), event, 120_000);
  } catch (e) {
    throw new Error(`${(e as Error).message}${logs()}`);
  }
}

/** A CCTools worker (or ours) with `cores` cores, 500 MB memory and 1000 MB disk, for a foreman. */
function workerFor(port: number, cores: number, cctools = true): Proc {
  return startWorker(port, {
    cctools,
    args: ["--cores", String(cores), "--memory", "500", "--disk", "1000", "--timeout", "60"],
    env: cctoolsEnv(1),
  });
}

/** Two CCTools workers with one core each, for a foreman on `port`. */
function cctoolsWorkers(port: number): Proc[] {
  return [1, 2].map(() => workerFor(port, 1));
}

Deno.test("our foreman serves the CCTools Python manager with CCTools workers", async () => {
  await pythonThroughForeman(true);
});

Deno.test("our foreman serves the CCTools Python manager with our workers", async () => {
  await pythonThroughForeman(false);
});

/** Debian's Python manager, our foreman, and two workers, then a third (CCTools' or ours). */
async function pythonThroughForeman(cctools: boolean): Promise<void> {
  await using dir = await tempDir("wq-fm-py-");
  const managerDir = `${dir.path}/manager`;
  const debugLog = `${dir.path}/foreman.debug`;
  await Deno.mkdir(managerDir);
  const started = await startPythonFixture(FIXTURE, [managerDir, String(TASKS)]);
  await using manager = started.manager;
  const port = started.port;

  await using foreman = startWorker(port, {
    args: ["--foreman", "--disk", "2000", "-s", `${dir.path}/fm`, "-d", "all", "-o", debugLog],
  });
  const fport = await listeningPort(foreman, "the foreman");
  await using w1 = workerFor(fport, 1, cctools);
  await using _w2 = workerFor(fport, 1, cctools);

  const context = () =>
    `\n--- manager:\n${manager.log()}\n--- foreman:\n${foreman.log()}\n--- w1:\n${w1.log()}`;
  // A two-core task fits the foreman's total but none of its workers: Debian's manager does
  // not send it until a worker with two cores joins the foreman.
  await managerSaid(manager, "big-submitted", context);
  await using _w3 = workerFor(fport, 2, cctools);
  await managerSaid(manager, "done", context);
  const ev = events(manager.log());
  const task = (name: string) => {
    const t = ev.find((e) => e.event === "task" && e.name === name);
    assert.ok(t, `no result for task '${name}'${context()}`);
    return t;
  };
  assert.deepEqual(ev.find((e) => e.event === "cores"), {
    event: "cores",
    total_cores: 2,
    workers: 1,
  });
  for (let i = 0; i < TASKS; i++) {
    const t = task(`task-${i}`);
    assert.equal(t.result, 0, `task-${i}: ${JSON.stringify(t)}`);
    assert.equal(t.return_status, i % 5 === 0 ? 3 : 0, `task-${i}`);
    assert.equal(t.output, `task ${i}\n`, `task-${i}`);
    assert.equal(t.file, `shared line\ninput ${i}\n`, `task-${i}`);
  }
  const dirs = task("dirs");
  assert.equal(dirs.result, 0);
  assert.equal(
    dirs.output,
    "emptydir:\n\nindir:\na.txt\nsub\n\nindir/sub:\nb.txt\nFOO=bar baz\n",
  );
  assert.deepEqual(dirs.file, { "outdir/a.txt": "A\n", "outdir/sub/b.txt": "B\n" });
  assert.equal(task("whole").result, 0);
  assert.equal(task("whole").output, "whole\n");
  assert.equal(task("exec").output, "ran x\ntool\n");
  assert.equal(task("exec").return_status, 0);
  assert.equal(task("watched").file, "line 1\nline 2\nline 3\n");
  // The foreman kept the wall time: TASK_MAX_RUN_TIME (56), with its reason as the output.
  assert.equal(task("walltime").result, 56);
  // Enforced by the worker that ran it (the foreman passes wall_time on), so its own output comes back.
  assert.match(task("walltime").output, /^before\n/);
  assert.equal(task("unset").output, "CATALOG_HOST=unset\n");
  // OUTPUT_MISSING (2), as from a worker of its own.
  assert.equal(task("missing").result, 2);
  assert.equal(task("missing").output, "no-output\n");
  // Killed by SIGKILL: result 0 and the signal as the return status, as from a worker.
  assert.equal(task("signal").result, 0);
  assert.equal(task("signal").return_status, 9);
  assert.equal(task("signal").output, "before\n");
  assert.deepEqual(ev.find((e) => e.event === "cancelled"), { event: "cancelled", ok: true });
  assert.equal(task("big").result, 0);
  assert.equal(task("big").output, "big\n");
  assert.match(foreman.log(), /offering its workers' cores, memory and gpus, and disk 2000 MB\n/);
  // shutdown_workers(0) told one worker, the foreman, to exit, and it did (releasing its own).
  assert.deepEqual(ev.find((e) => e.event === "shutdown"), { event: "shutdown", n: 1 });
  assert.equal((await foreman.status).code, 0, foreman.log());
  // The foreman's `info workers_joined 3` (its three workers) summed in with itself.
  assert.deepEqual(ev.find((e) => e.event === "hierarchy"), {
    event: "hierarchy",
    workers_joined: 4,
    workers_connected: 4,
  });

  // The shared input crossed the manager's link once.
  const debug = await Deno.readTextFile(debugLog);
  const puts = debug.split("\n").filter((l) => /rx: put file-\d+-[0-9a-f]+-shared\.txt /.test(l));
  assert.equal(puts.length, 1, puts.join("\n"));
  assert.match(debug, /rx: kill \d+\n/);
  // Once the third worker joined: the sums, the smallest and the largest worker, and the
  // foreman's statistics after the report.
  assert.match(debug, /tx: resource workers 3 1 1\n/);
  assert.match(debug, /tx: resource cores 4 1 2\n/);
  assert.match(debug, /tx: resource memory 1500 500 500\n/);
  assert.match(debug, /tx: info end_of_resource_update 0\n.*tx: info workers_joined 3\n/);
}

Deno.test("our foreman serves our manager with CCTools workers", async () => {
  await using dir = await tempDir("wq-fm-ours-");
  const d = dir.path;
  await Deno.writeTextFile(`${d}/shared.txt`, "shared line\n");
  await Deno.mkdir(`${d}/indir/sub`, { recursive: true });
  await Deno.writeTextFile(`${d}/indir/a.txt`, "aaa\n");
  await Deno.writeTextFile(`${d}/indir/sub/b.txt`, "bbbb\n");
  await Deno.mkdir(`${d}/emptydir`);
  await using wq = new WorkQueue({ port: 0 });
  const debugLog = `${d}/foreman.debug`;
  await using foreman = startWorker(wq.port, {
    args: ["--foreman", "--disk", "2000", "-s", `${d}/fm`, "-d", "all", "-o", debugLog],
  });
  const [w1, w2] = cctoolsWorkers(await listeningPort(foreman, "the foreman"));
  await using _w1 = w1;
  await using _w2 = w2;

  const tasks: Task[] = [];
  for (let i = 0; i < TASKS; i++) {
    await Deno.writeTextFile(`${d}/in${i}.txt`, `input ${i}\n`);
    const t = new Task(
      `cat shared.txt in${i}.txt > out${i}.txt; echo task ${i}; exit ${i % 5 === 0 ? 3 : 0}`,
    );
    t.specifyInputFile(`${d}/shared.txt`, "shared.txt", { cache: true });
    t.specifyInputFile(`${d}/in${i}.txt`, `in${i}.txt`, { cache: false });
    t.specifyOutputFile(`${d}/out${i}.txt`, `out${i}.txt`, { cache: false });
    t.specifyCores(1);
    tasks.push(t);
  }
  const dirs = new Task(
    "ls indir indir/sub emptydir; mkdir -p outdir/sub; echo A > outdir/a.txt; " +
      'echo B > outdir/sub/b.txt; echo "FOO=$FOO"',
  );
  dirs.specifyDirectory(`${d}/indir`, "indir", { type: "input", recursive: true });
  dirs.specifyDirectory(`${d}/emptydir`, "emptydir", { type: "input" });
  dirs.specifyDirectory(`${d}/outdir`, "outdir", { type: "output" });
  dirs.specifyEnvironmentVariable("FOO", "bar baz");
  dirs.specifyCores(1);
  for (const t of [...tasks, dirs]) wq.submit(t);
  await waitAll(wq, tasks.length + 1);

  for (const [i, t] of tasks.entries()) {
    assert.equal(t.result, 0, `task-${i}: ${t.output}`);
    assert.equal(t.returnStatus, i % 5 === 0 ? 3 : 0, `task-${i}`);
    assert.equal(t.output, `task ${i}\n`, `task-${i}`);
    assert.equal(await Deno.readTextFile(`${d}/out${i}.txt`), `shared line\ninput ${i}\n`);
  }
  assert.equal(dirs.result, 0, dirs.output);
  assert.equal(dirs.output, "emptydir:\n\nindir:\na.txt\nsub\n\nindir/sub:\nb.txt\nFOO=bar baz\n");
  assert.equal(await Deno.readTextFile(`${d}/outdir/a.txt`), "A\n");
  assert.equal(await Deno.readTextFile(`${d}/outdir/sub/b.txt`), "B\n");

  const debug = await Deno.readTextFile(debugLog);
  const puts = debug.split("\n").filter((l) => /rx: put file-\d+-[0-9a-f]+-shared\.txt /.test(l));
  assert.equal(puts.length, 1, puts.join("\n"));
});

Deno.test("our foreman makes the Python manager's URL and command inputs once, for its workers", async () => {
  await using dir = await tempDir("wq-fm-made-");
  await using http = dataServer();
  const started = await startPythonFixture("python_made_inputs.py", [
    dir.path,
    String(http.addr.port),
  ]);
  await using manager = started.manager;
  const port = started.port;
  await using foreman = startWorker(port, {
    args: ["--foreman", "--disk", "2000", "-s", `${dir.path}/fm`],
  });
  const [w1, w2] = cctoolsWorkers(await listeningPort(foreman, "the foreman"));
  await using _w1 = w1;
  await using _w2 = w2;
  await managerSaid(
    manager,
    "done",
    () => `\n--- manager:\n${manager.log()}\n--- foreman:\n${foreman.log()}`,
  );
  const ev = events(manager.log());
  const task = (name: string) => ev.find((e) => e.event === "task" && e.name === name)!;
  assert.equal(task("made").result, 0, manager.log());
  assert.equal(task("made").output, "served over http\nmade\n");
  assert.equal(task("cached-url").output, "served over http\n");
  // A failed input ends the task at the foreman, as at a worker: INPUT_MISSING with the reason.
  assert.equal(task("url-404").result, 1);
  assert.match(task("url-404").output, /HTTP 404 Not Found/);
  assert.equal(task("cmd-fails").result, 1);
  assert.match(task("cmd-fails").output, /the command exited with status 3: cannot make \//);
  assert.equal(task("after").output, "still-here\n");
  // The foreman fetched the cached URL once for both tasks and both workers.
  assert.deepEqual(http.hits, ["/data.txt", "/no-such-file.txt"]);
});

Deno.test("a CCTools worker lost under our foreman: its task runs again on the other, unseen by the manager", async () => {
  await using dir = await tempDir("wq-fm-lost-");
  const d = dir.path;
  await using wq = new WorkQueue({ port: 0 });
  await using foreman = startWorker(wq.port, {
    args: ["--foreman", "--disk", "2000", "-s", `${d}/fm`],
  });
  const [w1, w2] = cctoolsWorkers(await listeningPort(foreman, "the foreman"));
  await using _w1 = w1;
  await using _w2 = w2;
  // Each task notes that it started, then waits for `go`.
  const tasks = [0, 1].map((i) => {
    const t = new Task(
      `echo started >> ${d}/started-${i}; while [ ! -e ${d}/go ]; do sleep 0.05; done; echo done ${i}`,
    );
    t.specifyCores(1);
    wq.submit(t);
    return t;
  });
  const started = async (i: number) => {
    try {
      return (await Deno.readTextFile(`${d}/started-${i}`)).trim().split("\n");
    } catch {
      return [];
    }
  };
  await until(async () => (await started(0)).length > 0 && (await started(1)).length > 0, "both");
  w1.killTree();
  await w1.status;
  await Deno.writeTextFile(`${d}/go`, "");
  await waitAll(wq, 2);
  for (const [i, t] of tasks.entries()) {
    assert.equal(t.result, 0, t.output);
    assert.equal(t.output, `done ${i}\n`);
  }
  // The manager requeued nothing: the foreman's queue did, on its other worker.
  assert.equal(wq.stats.tasksRequeued, 0);
  // One of them started twice: on the lost worker, then on the other.
  assert.deepEqual([(await started(0)).length, (await started(1)).length].sort(), [1, 2]);
});
