// The slower faults: a frozen worker that wakes up, a manager process that
// dies and is replaced on the same port, a worker whose disk fills up, and
// standard output over the limit. Real processes over loopback; no timing
// assertions (delays are read from the worker's log, never measured). The
// keepalive runs on a manual clock: the tests move it, and wait for nothing.
//
// With WQ_RELIABILITY_OUT set, each test appends one JSON line
// {"test":"slow_faults","case":...,...counts} to that file.

import assert from "node:assert/strict";
import {
  Task,
  WORK_QUEUE_RESULT_DISK_ALLOC_FULL,
  WORK_QUEUE_RESULT_STDOUT_MISSING,
  WORK_QUEUE_RESULT_SUCCESS,
  WorkQueue,
} from "../mod.ts";
import { ManualClock } from "../lib/clock.ts";
import { FakeWorker } from "./_fake_worker.ts";
import {
  advanceUntil,
  exists,
  type Proc,
  read,
  ROOT,
  spawn,
  startWorker,
  tempDir,
  until,
} from "./_harness.ts";
import { snapshot, startWorkerOnTmpfs, usage } from "./_tmpfs.ts";

/** Appends one line about what a test exercised to $WQ_RELIABILITY_OUT, if set. */
async function report(name: string, counts: Record<string, unknown>): Promise<void> {
  const out = Deno.env.get("WQ_RELIABILITY_OUT");
  if (!out) return;
  const line = JSON.stringify({ test: "slow_faults", case: name, ...counts }) + "\n";
  await Deno.writeTextFile(out, line, { append: true });
}

/** Whether a process still runs (a zombie counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false; // no such process
  }
}

/** SIGKILLs these processes on dispose, if they still run (so a failed test leaks none). */
function killOnDispose(pids: number[]): Disposable {
  return {
    [Symbol.dispose]() {
      for (const pid of pids) {
        if (!alive(pid)) continue;
        try {
          Deno.kill(pid, "SIGKILL");
        } catch (e) {
          if (!(e instanceof Deno.errors.NotFound)) throw e;
        }
      }
    },
  };
}

/** How many times `pattern` occurs in `text`. */
function count(text: string, pattern: RegExp): number {
  return [...text.matchAll(new RegExp(pattern.source, "g"))].length;
}

/** Collects the manager's log lines. */
function collector(): { lines: string[]; logger: (level: string, m: string) => void } {
  const lines: string[] = [];
  return { lines, logger: (_level, m) => lines.push(m) };
}

/**
 * A queue that checks a worker after 1 s of silence and drops it 2 s later,
 * logging everything, on a clock that moves only when the test moves it.
 */
function impatientQueue(log: ReturnType<typeof collector>, clock: ManualClock): WorkQueue {
  return new WorkQueue({
    port: 0,
    keepaliveInterval: 1,
    keepaliveTimeout: 2,
    debug: true,
    logger: log.logger,
    clock,
  });
}

Deno.test("a frozen worker is dropped by keepalive, and once woken it starts afresh", async () => {
  await using dir = await tempDir();
  const d = dir.path;
  const log = collector();
  const clock = new ManualClock();
  await using wq = impatientQueue(log, clock);
  // Not single-shot: once woken it must find its connection closed and dial again.
  await using sleepy = startWorker(wq.port, {
    args: ["-s", `${d}/sleepy`, "--cores", "2", "-i", "0.1", "-b", "0.5", "-t", "120"],
  });
  // The first run of each task (on the worker that freezes) takes a different
  // branch from the run elsewhere, so a stale result would show.
  const a = new Task(
    `if mkdir ${d}/a-first 2>/dev/null; then ` +
      `while [ ! -e ${d}/go ]; do sleep 0.05; done; echo stale > out.txt; echo stale-A; ` +
      `touch ${d}/a-stale-done; else echo fresh > out.txt; echo done-A; fi`,
  ).specifyCores(1).specifyOutputFile(`${d}/a-out.txt`, "out.txt");
  const b = new Task(
    `if mkdir ${d}/b-first 2>/dev/null; then echo $$ > ${d}/b-pid.tmp; ` +
      `mv ${d}/b-pid.tmp ${d}/b-pid; exec sleep 300; else echo done-B; fi`,
  ).specifyCores(1);
  wq.submit(a);
  wq.submit(b);
  await until(
    async () => await exists(`${d}/a-first`) && await exists(`${d}/b-pid`),
    "both tasks to start",
  );
  const stalePid = Number((await read(`${d}/b-pid`)).trim());
  using _stale = killOnDispose([stalePid]);

  sleepy.kill("SIGSTOP");
  await advanceUntil(
    clock,
    () => wq.stats.workersLost === 1,
    "keepalive to drop the frozen worker",
  );
  // While the worker is frozen, its first task finishes: a result waits in it.
  await Deno.writeTextFile(`${d}/go`, "");
  await until(() => exists(`${d}/a-stale-done`), "the stale run of A to finish");

  await using good = startWorker(wq.port, {
    args: ["--single-shot", "-s", `${d}/good`, "--cores", "2"],
  });
  const returned: Task[] = [];
  for (let i = 0; i < 2; i++) {
    const t = await wq.wait(60);
    assert.ok(t, "a task should come back");
    returned.push(t);
  }
  assert.deepEqual(returned.map((t) => t.id).sort(), [a.id, b.id].sort());
  assert.equal(a.result, WORK_QUEUE_RESULT_SUCCESS, a.failure);
  assert.equal(a.output, "done-A\n");
  assert.equal(await read(`${d}/a-out.txt`), "fresh\n");
  assert.equal(b.output, "done-B\n");
  assert.equal(wq.shutdownWorkers(0), 1);
  assert.equal((await good.status).code, 0);

  // Wake it: it must find the connection closed, drop its tasks and sandboxes,
  // and join again as a new worker.
  sleepy.kill("SIGCONT");
  await until(
    () => count(sleepy.log(), /connected to manager /) >= 2 && wq.stats.workersConnected === 1,
    "the woken worker to reconnect",
  );
  assert.match(sleepy.log(), /disconnected from manager [^\n]*; reconnecting in [\d.]+ s/);
  assert.equal(alive(stalePid), false, "the stale task B must be killed when the worker wakes");
  assert.equal(wq.stats.workersJoined, 3);

  // It starts afresh: its workspace holds nothing of A or B.
  const probe = new Task("ls -A ..");
  wq.submit(probe);
  assert.equal(await wq.wait(60), probe);
  assert.equal(probe.result, WORK_QUEUE_RESULT_SUCCESS, probe.failure);
  assert.deepEqual(
    probe.output.trim().split("\n").sort(),
    ["cache", `t.${probe.id}`, `t.${probe.id}.stdout`, "transfer"].sort(),
  );
  // Each task came back exactly once, with the fresh run's output.
  assert.equal(await wq.wait(0), null);
  assert.ok(wq.empty());
  assert.equal(wq.stats.tasksDone, 3);
  assert.equal(a.output, "done-A\n");
  const ignored = log.lines.filter((l) => /which is not running on it/.test(l)).length;
  wq.shutdownWorkers(0);
  assert.equal((await sleepy.status).code, 0);
  await report("frozen_worker", {
    workersLost: wq.stats.workersLost,
    workersJoined: wq.stats.workersJoined,
    tasksRequeued: wq.stats.tasksRequeued,
    staleResultsIgnored: ignored,
    staleTaskKilled: true,
  });
});

Deno.test("the manager takes a result only for a task running on that very connection", async () => {
  await using dir = await tempDir();
  const log = collector();
  const clock = new ManualClock();
  await using wq = impatientQueue(log, clock);
  const t = new Task("echo real");
  wq.submit(t);
  // A worker takes the task, then freezes (answers nothing): it is dropped.
  const frozen = await FakeWorker.connect(wq.port, { answerChecks: false });
  const taskLine = await frozen.expect(/^task \d+$/);
  assert.equal(taskLine, `task ${t.id}`);
  await advanceUntil(
    clock,
    () => wq.stats.workersLost === 1,
    "keepalive to drop the silent worker",
  );
  assert.ok(await frozen.closedByPeer(), "the manager must close the frozen worker's connection");
  // Its late result has nowhere to go: the connection is closed.
  await frozen.send(`available_results\n`).catch(() => {});
  frozen.close();

  await using real = startWorker(wq.port, { args: ["--single-shot", "-s", dir.path] });
  assert.equal(await wq.wait(60), t);
  assert.equal(t.output, "real\n");
  assert.equal(wq.shutdownWorkers(0), 1);
  assert.equal((await real.status).code, 0);

  // The same worker comes back on a new connection with its stale result
  // (and one for a task that never existed): both are dropped.
  const back = await FakeWorker.connect(wq.port, { answerChecks: true });
  await until(() => wq.stats.workersConnected === 1, "the fake worker to join again");
  await back.send("available_results\n");
  assert.equal(await back.expect(/^send_results/), "send_results -1");
  await back.send(`result 0 0 6 1000 ${t.id}\nstale\nresult 0 0 3 1000 999\nno\nend\n`);

  // A task that does run on this connection: its result is taken once, a
  // repeat in the same batch and a later one are dropped.
  const u = new Task("echo u");
  wq.submit(u);
  assert.equal(await back.expect(/^task \d+$/), `task ${u.id}`);
  await back.expect(/^end$/);
  await back.send("available_results\n");
  await back.expect(/^send_results/);
  await back.send(`result 0 0 3 10 ${u.id}\nok\nresult 0 0 4 10 ${u.id}\ndup\nend\n`);
  assert.equal(await wq.wait(30), u);
  assert.equal(u.output, "ok\n");
  assert.equal(await back.expect(/^kill /), `kill ${u.id}`);
  await back.send("available_results\n");
  await back.expect(/^send_results/);
  await back.send(`result 0 0 5 10 ${u.id}\nlate\nend\n`);
  await until(
    () => log.lines.filter((l) => /which is not running on it: ignored/.test(l)).length >= 4,
    "the four stale results to be dropped",
  );
  assert.equal(t.output, "real\n");
  assert.equal(u.output, "ok\n");
  assert.equal(wq.stats.tasksDone, 2);
  assert.equal(wq.stats.workersConnected, 1, "stale results do not cost the worker its connection");
  assert.equal(await wq.wait(0), null);
  back.close();
  await report("stale_results", {
    staleResultsIgnored: log.lines.filter((l) => /which is not running on it/.test(l)).length,
    tasksDone: wq.stats.tasksDone,
  });
});

Deno.test("Deno.listen takes a port that still has connections in TIME_WAIT", async () => {
  const first = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (first.addr as Deno.NetAddr).port;
  const client = await Deno.connect({ hostname: "127.0.0.1", port });
  const server = await first.accept();
  server.close(); // the listening side closes first: its end goes to TIME_WAIT
  assert.equal(await client.read(new Uint8Array(1)), null);
  client.close();
  first.close();
  const ss = new Deno.Command("ss", {
    args: ["-Htan", "state", "time-wait", `( sport = :${port} )`],
  }).outputSync();
  const timeWait = new TextDecoder().decode(ss.stdout).trim().split("\n").filter(Boolean).length;
  assert.ok(timeWait >= 1, `expected a TIME_WAIT connection on port ${port}`);
  const again = Deno.listen({ hostname: "127.0.0.1", port });
  assert.equal((again.addr as Deno.NetAddr).port, port);
  again.close();
});

/** A port that was free a moment ago (for tests that need the same port twice). */
function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Starts the manager fixture in its own process. */
function startManagerProcess(port: number, args: string[]): Proc {
  return spawn([
    Deno.execPath(),
    "run",
    "--quiet",
    "--allow-all",
    `${ROOT}/tests/fixtures/restart_manager.ts`,
    "--port",
    String(port),
    ...args,
  ]);
}

/** A catch handler that adds the output of processes to a failure. */
function withLogs(procs: Record<string, Proc>): (e: Error) => never {
  return (e) => {
    const logs = Object.entries(procs).map(([name, p]) => `--- ${name}:\n${p.log()}`);
    throw new Error(`${e.message}\n${logs.join("\n")}`, { cause: e });
  };
}

/** The reconnect delays our worker logged, in seconds, from `since` on. */
function loggedDelays(log: string): number[] {
  return [...log.matchAll(/(?:reconnecting|retrying) in ([\d.]+) s/g)].map((m) => Number(m[1]));
}

Deno.test("workers redial with backoff when the manager process dies and a new one takes the port", async () => {
  await using dir = await tempDir();
  const d = dir.path;
  const port = freePort();
  await using m1 = startManagerProcess(port, [
    "--workers",
    "2",
    // CCTools' worker sometimes blocks in its kill until the task ends by
    // itself (it waits for a process its signal missed), so these end in 30 s.
    `echo $$ $PWD > ${d}/m1-a.tmp; mv ${d}/m1-a.tmp ${d}/m1-a; exec sleep 30`,
    `echo $$ $PWD > ${d}/m1-b.tmp; mv ${d}/m1-b.tmp ${d}/m1-b; exec sleep 30`,
  ]);
  await until(() => m1.log().includes(`listening ${port}`), "the first manager to listen", 60_000);
  const minBackoff = 0.2;
  const maxBackoff = 1.6;
  await using ours = startWorker(port, {
    args: [
      "-s",
      `${d}/ours`,
      "--cores",
      "1",
      "-i",
      String(minBackoff),
      "-b",
      String(maxBackoff),
      "-t",
      "120",
    ],
  });
  await Deno.mkdir(`${d}/cctools`); // CCTools' worker does not make its workdir
  await using cctools = startWorker(port, {
    cctools: true,
    args: ["-s", `${d}/cctools`, "--cores", "1", "-i", "1", "-b", "2", "-t", "120"],
  });
  await until(
    async () => await exists(`${d}/m1-a`) && await exists(`${d}/m1-b`),
    "both workers to run a task of the first manager",
    60_000,
  ).catch(withLogs({ "the first manager": m1, "our worker": ours, "CCTools' worker": cctools }));
  const started = await Promise.all([read(`${d}/m1-a`), read(`${d}/m1-b`)]);
  const pids = started.map((s) => Number(s.split(" ")[0]));
  using _stale = killOnDispose(pids);
  // Our worker's task, found by the sandbox it ran in.
  const oursPid = Number(started.find((s) => s.includes(`${d}/ours/`))?.split(" ")[0]);
  assert.ok(oursPid > 0, `one task of the first manager runs on our worker: ${started}`);

  m1.kill("SIGKILL");
  await m1.status;
  // Wait for three failed attempts in our worker's log (none can succeed: nothing listens).
  await until(
    () => count(ours.log(), /cannot connect to [^\n]*; retrying in/) >= 3,
    "our worker to retry three times",
  );
  const ss = new Deno.Command("ss", {
    args: ["-Htan", "state", "time-wait", `( sport = :${port} )`],
  }).outputSync();
  const timeWait = new TextDecoder().decode(ss.stdout).trim().split("\n").filter(Boolean).length;

  await using m2 = startManagerProcess(port, ["--workers", "2", "pwd -P", "pwd -P"]);
  // Our worker kills its tasks before it dials again.
  await until(() => count(ours.log(), /connected to manager 127/) >= 2, "our worker to reconnect");
  assert.equal(alive(oursPid), false, `our worker's task ${oursPid} outlived its manager`);
  await until(
    () => /^done /m.test(m2.log()) || m2.log().includes("Error"),
    "the second manager to finish",
    90_000,
  ).catch(withLogs({ "the second manager": m2, "our worker": ours, "CCTools' worker": cctools }));
  assert.match(m2.log(), /^listening /m, m2.log());
  assert.match(m2.log(), /^done 2$/m, m2.log());
  const tasks = [...m2.log().matchAll(/^(\{"task".*)$/gm)].map((m) => JSON.parse(m[1]).task);
  assert.equal(tasks.length, 2, m2.log());
  for (const t of tasks) assert.equal(t.result, WORK_QUEUE_RESULT_SUCCESS, JSON.stringify(t));
  const where = tasks.map((t) => String(t.output)).sort();
  const real = (p: string) => Deno.realPathSync(p);
  assert.ok(where.some((w) => w.startsWith(real(`${d}/ours`))), `one task on ours: ${where}`);
  assert.ok(
    where.some((w) => w.startsWith(real(`${d}/cctools`))),
    `one task on CCTools': ${where}`,
  );
  assert.equal((await ours.status).code, 0, ours.log());
  assert.equal((await cctools.status).code, 0, cctools.log());

  // Backoff, from our worker's log: after the loss the delays double from
  // the minimum and never pass the maximum (step k: within [s/2, s], s = min·2^k capped).
  const afterLoss = ours.log().slice(ours.log().indexOf("disconnected from manager"));
  const delays = loggedDelays(afterLoss.slice(0, afterLoss.indexOf("connected to manager 127")));
  assert.ok(delays.length >= 4, `expected the loss and 3 retries, got ${delays}`);
  for (const [k, delay] of delays.entries()) {
    const step = Math.min(maxBackoff, minBackoff * 2 ** k);
    assert.ok(
      delay >= step / 2 - 0.01 && delay <= step + 0.01,
      `delay ${k} is ${delay} s; expected within [${step / 2}, ${step}]: ${delays}`,
    );
  }
  for (let k = 1; k < delays.length; k++) {
    if (minBackoff * 2 ** k <= maxBackoff) assert.ok(delays[k] >= delays[k - 1], `${delays}`);
  }
  assert.ok(timeWait >= 1, `expected the dead manager's connections in TIME_WAIT on ${port}`);
  await report("manager_restart", {
    workersReconnected: 2,
    ourRetries: delays.length - 1,
    delays,
    timeWaitAtRestart: timeWait,
    staleTasksKilledByOurWorker: 1,
  });
});

Deno.test("a full disk fails the task clearly and the worker keeps serving, touching nothing else", async () => {
  await using dir = await tempDir();
  const d = dir.path;
  const mnt = `${d}/mnt`;
  await Deno.mkdir(mnt);
  await Deno.mkdir(`${d}/canary/sub`, { recursive: true });
  await Deno.writeTextFile(`${d}/canary/a.txt`, "canary\n");
  await Deno.writeTextFile(`${d}/canary/sub/b.txt`, "canary too\n");
  const big = new Uint8Array(8 << 20).fill(0x61);
  await Deno.writeFile(`${d}/big.in`, big);
  await Deno.mkdir(`${d}/bigdir`);
  await Deno.writeFile(`${d}/bigdir/one`, big.subarray(0, 3 << 20));
  await Deno.writeFile(`${d}/bigdir/two`, big.subarray(0, 3 << 20));
  const before = snapshot(d);

  const log = collector();
  await using wq = new WorkQueue({ port: 0, logger: log.logger });
  await using worker = await startWorkerOnTmpfs(wq.port, mnt);
  const inside = `/proc/${worker.child.pid}/root${mnt}`;
  const workspace = () => {
    const ws = [...Deno.readDirSync(inside)].filter((e) => e.name.startsWith("worker-"));
    assert.equal(ws.length, 1);
    return `${inside}/${ws[0].name}`;
  };

  // 1. An output larger than the disk.
  const out = new Task("head -c 8388608 /dev/zero > big.out").specifyOutputFile(
    `${d}/big.out`,
    "big.out",
  );
  const runSmall = async (after: Task) => {
    const small = new Task("echo small > s.txt; cat s.txt").specifyOutputFile(
      `${d}/s.txt`,
      "s.txt",
    );
    wq.submit(small);
    assert.equal(await wq.wait(60), small);
    assert.equal(small.result, WORK_QUEUE_RESULT_SUCCESS, small.failure);
    assert.equal(small.output, "small\n");
    assert.equal(small.host, out.host, "the same worker serves the next task");
    // The failed task left nothing behind on the tmpfs.
    const u = usage(workspace());
    assert.ok(
      !u.names.some((n) =>
        n === `t.${after.id}` || n.startsWith(`t.${after.id}/`) || n === `t.${after.id}.stdout`
      ),
      `leftovers of task ${after.id}: ${u.names}`,
    );
    assert.ok(u.bytes < 64 * 1024, `the tmpfs still holds ${u.bytes} bytes: ${u.names}`);
  };
  const expectDiskFull = (t: Task, what: RegExp) => {
    assert.equal(
      t.result,
      WORK_QUEUE_RESULT_DISK_ALLOC_FULL,
      `${t.failure}; output ${t.output.slice(0, 200)}`,
    );
    assert.match(t.failure ?? "", /^disk full on worker /);
    assert.match(t.failure ?? "", what);
  };

  wq.submit(out);
  assert.equal(await wq.wait(60), out);
  expectDiskFull(out, /the task failed \(exit \d+\) with the disk full/);
  assert.equal(await exists(`${d}/big.out`), false, "a cut output must not be delivered");
  await runSmall(out);

  // 2. Standard output that fills the disk.
  const loud = new Task("head -c 8388608 /dev/zero | tr '\\0' x");
  wq.submit(loud);
  assert.equal(await wq.wait(60), loud);
  expectDiskFull(loud, /the task failed/);
  assert.ok(loud.output.length > 0 && loud.output.length < 8 << 20, `${loud.output.length}`);
  await runSmall(loud);

  // 3. An input that does not fit: the upload fails on the worker, the task does not run.
  const input = new Task("wc -c < big.in").specifyInputFile(`${d}/big.in`, "big.in");
  wq.submit(input);
  assert.equal(await wq.wait(60), input);
  expectDiskFull(input, /did not fit, so the task did not run/);
  assert.match(input.output, /input 'big\.in' did not fit on the disk of this worker/);
  await runSmall(input);
  // Sent again next time (the manager forgot it as cached), and refused again cleanly.
  const sentBefore = wq.stats.bytesSent;
  const again = new Task("wc -c < big.in").specifyInputFile(`${d}/big.in`, "big.in");
  wq.submit(again);
  assert.equal(await wq.wait(60), again);
  expectDiskFull(again, /did not run/);
  assert.ok(wq.stats.bytesSent - sentBefore >= big.length, "the input is sent again");
  await runSmall(again);

  // 4. An input directory that does not fit (the recursive upload).
  const tree = new Task("ls bigdir").specifyInputFile(`${d}/bigdir`, "bigdir");
  wq.submit(tree);
  assert.equal(await wq.wait(60), tree);
  expectDiskFull(tree, /did not run/);
  await runSmall(tree);

  // The worker never left, and nothing outside its workdir changed.
  assert.equal(wq.stats.workersLost + wq.stats.workersRemoved, 0, log.lines.join("\n"));
  assert.ok(await exists(inside), "the worker is still running");
  for (const p of [`${d}/s.txt`]) before.delete(p);
  const after = snapshot(d);
  after.delete(`${d}/s.txt`);
  assert.deepEqual([...after].sort(), [...before].sort());
  assert.deepEqual([...Deno.readDirSync(mnt)], [], "the tmpfs must stay private to the worker");
  assert.equal(wq.shutdownWorkers(0), 1);
  assert.equal((await worker.status).code, 0, worker.log());
  await report("disk_full", {
    outputTooLarge: 1,
    stdoutTooLarge: 1,
    inputTooLarge: 2,
    inputDirTooLarge: 1,
    followUpTasksSucceeded: 5,
    workersLost: wq.stats.workersLost,
  });
});

Deno.test("standard output over the limit is cut, and the task says STDOUT_MISSING", async () => {
  await using dir = await tempDir();
  const limit = 1 << 20;
  const printed = 5 << 20;
  // The manager's limit: the worker sends all of it, the manager keeps 1 MiB.
  {
    await using wq = new WorkQueue({ port: 0, maxStdout: limit });
    await using worker = startWorker(wq.port, { args: ["--single-shot", "-s", dir.path] });
    const t = new Task(`head -c ${printed} /dev/zero | tr '\\0' y`);
    wq.submit(t);
    // Before it is taken, explain() says why it failed.
    await until(
      () => wq.explain(t.id).startsWith(`task ${t.id} is complete: standard output was`),
      "the task to complete",
    );
    assert.equal(await wq.wait(60), t);
    assert.equal(t.result, WORK_QUEUE_RESULT_STDOUT_MISSING);
    assert.equal(t.returnStatus, 0);
    assert.equal(t.output.length, limit);
    assert.equal(
      t.failure,
      `standard output was ${printed} bytes; only the first ${limit} were kept (maxStdout)`,
    );
    // The connection stayed in step: the next task runs normally.
    const next = new Task("echo next");
    wq.submit(next);
    assert.equal(await wq.wait(60), next);
    assert.equal(next.output, "next\n");
    assert.equal(next.result, WORK_QUEUE_RESULT_SUCCESS);
    wq.shutdownWorkers(0);
    assert.equal((await worker.status).code, 0);
  }
  // The worker's limit: it cuts the file it streams from and says so.
  {
    await using wq = new WorkQueue({ port: 0 });
    await using worker = startWorker(wq.port, {
      args: ["--single-shot", "-s", dir.path, "--max-stdout", "1M"],
    });
    const t = new Task(`head -c ${printed} /dev/zero | tr '\\0' y`);
    wq.submit(t);
    assert.equal(await wq.wait(60), t);
    assert.equal(t.result, WORK_QUEUE_RESULT_STDOUT_MISSING);
    assert.equal(t.output, "y".repeat(limit));
    assert.match(
      t.failure ?? "",
      /cut by worker .* at its limit \(--max-stdout\); 1048576 bytes were kept/,
    );
    wq.shutdownWorkers(0);
    assert.equal((await worker.status).code, 0);
  }
  await report("stdout_limit", { printed, limit, managerCut: 1, workerCut: 1 });
});
