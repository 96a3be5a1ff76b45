// The slower faults: a manager process that dies and is replaced on the same
// port, a worker whose disk fills up, and standard output over the limit
// (frozen workers: tests/frozen_worker_test.ts). Real processes over
// loopback; no timing assertions (delays are read from the worker's log,
// never measured).
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
import { alive, collector, count, killOnDispose, report } from "./_faults.ts";
import { exists, type Proc, read, ROOT, spawn, startWorker, tempDir, until } from "./_harness.ts";
import { snapshot, startWorkerOnTmpfs, usage } from "./_tmpfs.ts";

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
    assert.equal(small.result, WORK_QUEUE_RESULT_SUCCESS, small.failure ?? undefined);
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
