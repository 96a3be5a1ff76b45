/**
 * Our worker against the unmodified CCTools Python manager (protocol 9):
 * the scenarios in fixtures/python_manager_scenarios.py, checked on what the
 * manager reports, on the files it wrote, and on the worker's debug log.
 */

import assert from "node:assert/strict";
import { exists, type Proc, PYTHON, ROOT, spawn, startWorker, tempDir, until } from "./_harness.ts";
import { dataServer, events, startPythonFixture } from "./_python_fixtures.ts";

const FIXTURE = `${ROOT}/tests/fixtures/python_manager_scenarios.py`;

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits for both to exit 0; returns the manager's events and a lookup of its tasks by name. */
async function bothExited(manager: Proc, worker: Proc, ms: number) {
  const workerStatus = await within(worker.status, ms, `the worker to exit\n${worker.log()}`);
  const managerStatus = await within(
    manager.status,
    30_000,
    `the manager to exit\n${manager.log()}`,
  );
  const context = `\n--- manager:\n${manager.log()}\n--- worker:\n${worker.log()}`;
  assert.equal(managerStatus.code, 0, `manager failed${context}`);
  assert.equal(workerStatus.code, 0, `worker failed${context}`);
  const ev = events(manager.log());
  const task = (name: string) => {
    const t = ev.find((e) => e.event === "task" && e.name === name);
    assert.ok(t, `no result for task '${name}'${context}`);
    return t;
  };
  return { ev, task };
}

Deno.test("worker serves the CCTools Python manager: files, dirs, cache, exit codes, concurrency", async () => {
  await using dir = await tempDir("wq-pyman-");
  const managerDir = `${dir.path}/manager`;
  const workDir = `${dir.path}/work`;
  const debugLog = `${dir.path}/worker.debug`;
  await Deno.mkdir(managerDir);
  await Deno.mkdir(workDir);

  await using manager = spawn([PYTHON, FIXTURE, managerDir], {
    env: { CATALOG_HOST: "127.0.0.1", CATALOG_PORT: "1" },
  });
  await until(() => events(manager.log()).some((e) => e.event === "port"), "the manager's port");
  const port = events(manager.log()).find((e) => e.event === "port")!.port as number;

  await using worker = startWorker(port, {
    args: [
      "--single-shot",
      "--cores=2",
      "--memory=2000",
      "--disk=2000",
      "-s",
      workDir,
      "-d",
      "all",
      "-o",
      debugLog,
    ],
  });
  const { ev, task } = await bothExited(manager, worker, 90_000);

  // 1. cached input + buffer + output + env, stderr merged into stdout in order.
  assert.equal(task("cached").result, 0);
  assert.equal(task("cached").return_status, 0);
  assert.equal(task("cached").output, "FOO=bar\nto-stderr\nafter\n");
  // 2. cached input reused; exit code comes back.
  assert.equal(task("reuse").result, 0);
  assert.equal(task("reuse").return_status, 3);
  // 3. dir tree in, empty dir in, dir tree out, missing output -> OUTPUT_MISSING (2).
  assert.equal(task("dirs").result, 2);
  assert.equal(task("dirs").output, "emptydir:\n\nindir:\na.txt\nsub\n\nindir/sub:\nb.txt\n");
  // 4. two one-core tasks that wait for each other both finish.
  assert.equal(task("concurrent-a").output, "a-saw-b\n");
  assert.equal(task("concurrent-b").output, "b-saw-a\n");
  assert.equal(task("concurrent-a").return_status, 0);
  assert.equal(task("concurrent-b").return_status, 0);
  // 5. a 64-core task is never dispatched to a 2-core worker; it stays waiting.
  const big = ev.find((e) => e.event === "big");
  assert.deepEqual(big, { event: "big", waited: null, stats_waiting: 1 });
  assert.deepEqual(ev.find((e) => e.event === "big-cancelled"), {
    event: "big-cancelled",
    ok: true,
  });
  // 6. no resources: the whole worker.
  assert.equal(task("whole").output, "CORES=2\n");
  // 7. killed by a signal: result 0 and return_status 9, as from CCTools' worker; the
  // `info task-signal` and `info task-measured` lines before the result did not disturb
  // the manager.
  assert.equal(task("signal").result, 0);
  assert.equal(task("signal").return_status, 9);
  assert.equal(task("signal").output, "before\n");
  assert.equal(task("after-signal").result, 0);
  assert.equal(task("after-signal").output, "still-here\n");

  const files = ev.find((e) => e.event === "files");
  assert.deepEqual(files, {
    event: "files",
    out1: "hello from in.txt\nbuffer-line\n",
    out2: "hello from in.txt\n",
    outdir: { "outdir/a.txt": "A\n", "outdir/sub/b.txt": "B\n" },
    missing_exists: false,
  });
  assert.ok(ev.some((e) => e.event === "done"));

  // The cached in.txt crossed the wire once although two tasks used it.
  const debug = await Deno.readTextFile(debugLog);
  const puts = debug.split("\n").filter((l) => /rx: put file-0-[0-9a-f]+-in\.txt /.test(l));
  assert.equal(puts.length, 1, `expected one put of in.txt, got:\n${puts.join("\n")}`);
  // Two tasks were running at the same time at some point.
  assert.match(debug, /tx: info tasks_running 2/);
  // The fast path was offered (an info line the manager ignores), never turned on.
  assert.match(debug, /tx: info wq-deno-fastpath 2\n/);
  assert.doesNotMatch(debug, /rx: wq-deno-fastpath|fast path \d+ on/);
  assert.match(debug, /tx: available_results\n/);
  // The signal was named on the wire, then what the task used, just before its result line.
  const signalId = task("signal").id;
  assert.match(
    debug,
    new RegExp(
      `tx: info task-signal ${signalId} SIGKILL\n.*tx: info task-measured ${signalId} method=\\w+ .*\n` +
        `.*tx: result 0 9 7 \\d+ ${signalId}\n`,
    ),
  );
  // ... and the manager read both (and went on: see 7).
  const managerDebug = await Deno.readTextFile(`${managerDir}/manager.debug`);
  assert.match(managerDebug, new RegExp(`rx from .*: info task-signal ${signalId} SIGKILL\n`));
  assert.match(managerDebug, new RegExp(`rx from .*: info task-measured ${signalId} `));

  // The workspace is gone after shutdown_workers.
  const left = [];
  for await (const e of Deno.readDir(workDir)) left.push(e.name);
  assert.deepEqual(left, [], `workspace left behind: ${left.join(", ")}`);
  assert.equal(await exists(`${managerDir}/missing.txt`), false);
});

Deno.test("issue 15: Debian's Python manager with URL and command inputs, no endless loop", async () => {
  await using dir = await tempDir("wq-pyman-made-");
  const managerDir = `${dir.path}/manager`;
  const workDir = `${dir.path}/work`;
  const debugLog = `${dir.path}/worker.debug`;
  await Deno.mkdir(managerDir);
  await Deno.mkdir(workDir);
  await using http = dataServer();
  const { hits } = http;
  const started = await startPythonFixture("python_made_inputs.py", [
    managerDir,
    String(http.addr.port),
  ]);
  await using manager = started.manager;
  const port = started.port;
  await using worker = startWorker(port, {
    args: ["--single-shot", "--cores=1", "-s", workDir, "-d", "all", "-o", debugLog],
  });
  const { task } = await bothExited(manager, worker, 60_000);
  assert.equal(task("made").result, 0);
  assert.equal(task("made").output, "served over http\nmade\n");
  assert.equal(task("cached-url").output, "served over http\n");
  // The 404: INPUT_MISSING once, naming the URL and the reason.
  assert.equal(task("url-404").result, 1);
  assert.match(
    task("url-404").output,
    /input 'nf\.txt' from http:\/\/127\.0\.0\.1:\d+\/no-such-file\.txt: HTTP 404 Not Found/,
  );
  assert.equal(task("cmd-fails").result, 1);
  assert.match(task("cmd-fails").output, /the command exited with status 3: cannot make \//);
  assert.equal(task("after").output, "still-here\n");
  // Connections: the protocol-11 try that Debian's manager refused, then one in protocol 9.
  const connects = worker.log().split("\n").filter((l) => l.includes("connected to manager"));
  assert.equal(connects.filter((l) => !l.includes("disconnected")).length, 2, worker.log());
  assert.match(worker.log(), /for protocol 11; trying protocol 9/);
  // The cached URL was fetched once; the 404 once.
  assert.deepEqual(hits, ["/data.txt", "/no-such-file.txt"]);
  const debug = await Deno.readTextFile(debugLog);
  assert.match(debug, /rx: url url-0-[0-9a-f]{32} \d+ 0?777 1/);
  assert.match(debug, /rx: thirdget 1 cmd-\d+-[0-9a-f]{32} echo made > %%/);
  assert.doesNotMatch(debug, /tx: cache-(update|invalid)/);
  // The failed task came once: the manager did not send it again.
  const sent = debug.split("\n").filter((l) => l.endsWith(`rx: task ${task("url-404").id}`));
  assert.equal(sent.length, 1, sent.join("\n"));
});
