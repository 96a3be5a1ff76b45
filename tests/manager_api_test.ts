// The WorkQueue API end to end with our own worker over loopback: waiting,
// iteration, cancellation, shutdown, status queries, lost and frozen
// workers, reconnection, and streaming of large files.

import assert from "node:assert/strict";
import { Task, WORK_QUEUE_RESULT_SUCCESS, WORK_QUEUE_WAITFORTASK, WorkQueue } from "../mod.ts";
import type { QueueEvent } from "../mod.ts";
import { exists, read, startWorker, tempDir, until } from "./_harness.ts";

const quiet = () => {};

Deno.test("wait() returns null at once on an empty queue and after its timeout otherwise", async () => {
  await using wq = new WorkQueue({ port: 0 });
  assert.equal(await wq.wait(WORK_QUEUE_WAITFORTASK), null);
  wq.submit(new Task("true"));
  assert.equal(await wq.wait(0.05), null);
  assert.equal(wq.empty(), false);
  assert.equal(wq.hungry(), true);
});

Deno.test("submit() refuses a task twice and WorkQueue names a taken port", async () => {
  await using wq = new WorkQueue({ port: 0 });
  const t = new Task("true");
  wq.submit(t);
  assert.throws(() => wq.submit(t), /already in the queue/);
  // deno-lint-ignore no-explicit-any
  assert.throws(() => wq.submit("echo" as any), TypeError);
  assert.throws(
    () => new WorkQueue({ port: wq.port }),
    new RegExp(`:${wq.port}: the address is in use`),
  );
  assert.throws(() => new WorkQueue({ port: 70000 }), RangeError);
});

Deno.test("our manager and our worker: files, iteration, stats and shutdown", async () => {
  await using dir = await tempDir();
  const d = dir.path;
  await Deno.writeTextFile(`${d}/shared.txt`, "shared\n");
  await using wq = new WorkQueue({ port: 0 });
  await using w1 = startWorker(wq.port, { args: ["--single-shot", "-s", d, "--cores", "2"] });
  await using w2 = startWorker(wq.port, { args: ["--single-shot", "-s", d, "--cores", "2"] });
  const n = 20;
  for (let i = 0; i < n; i++) {
    const t = new Task(`cat shared.txt n.txt > out.txt; echo $((${i} * 2))`);
    t.specifyCores(1);
    t.specifyInputFile(`${d}/shared.txt`);
    t.specifyInputBuffer(`${i}\n`, "n.txt", { cache: false });
    t.specifyOutputFile(`${d}/out/${i}.txt`, "out.txt");
    t.tag = `t${i}`;
    wq.submit(t);
  }
  assert.equal(wq.stats.tasksSubmitted, n);
  const seen = new Set<number>();
  const hosts = new Set<string>();
  for await (const t of wq) {
    assert.equal(t.result, WORK_QUEUE_RESULT_SUCCESS, t.failure ?? undefined);
    const i = Number(t.tag!.slice(1));
    assert.equal(t.output, `${i * 2}\n`);
    assert.equal(await read(`${d}/out/${i}.txt`), `shared\n${i}\n`);
    assert.ok(!seen.has(t.id));
    seen.add(t.id);
    hosts.add(t.host!);
  }
  assert.equal(seen.size, n);
  const s = wq.stats;
  assert.equal(s.tasksDone, n);
  assert.equal(s.workersConnected, 2);
  assert.equal(s.tasksWaiting + s.tasksRunning + s.tasksWithResults, 0);
  assert.ok(s.totalCores >= 4);
  // No temporary output names are left behind.
  assert.deepEqual([...Deno.readDirSync(`${d}/out`)].filter((e) => e.name.startsWith(".")), []);
  assert.equal(wq.shutdownWorkers(0), 2);
  assert.equal((await w1.status).code, 0);
  assert.equal((await w2.status).code, 0);
});

Deno.test("events follow a task and a worker from submit to close", async () => {
  const events: QueueEvent[] = [];
  const wq = new WorkQueue({ port: 0, hostname: "127.0.0.1" });
  // The stream ends by itself with queue-closed.
  const reading = (async () => {
    for await (const e of wq.events()) events.push(e);
  })();
  const t = new Task("echo hi; exit 3");
  try {
    await using worker = startWorker(wq.port, { args: ["--single-shot"] });
    wq.submit(t);
    const done = await wq.wait(60);
    assert.equal(done, t);
    assert.equal(t.returnStatus, 3);
    assert.equal(t.output, "hi\n");
    await wq.close();
    await worker.status;
  } finally {
    await wq.close();
  }
  await reading;
  const names = events.map((e) => e.type);
  names.splice(0, 2, ...names.slice(0, 2).sort()); // the worker may join before the submit
  assert.deepEqual(names, [
    "task-submitted",
    "worker-joined",
    "task-dispatched",
    "task-done",
    "worker-left",
    "queue-closed",
  ]);
  const left = events[4];
  assert.ok(left.type === "worker-left" && left.reason === "released");
  const dispatched = events[2];
  assert.ok(dispatched.type === "task-dispatched" && dispatched.worker.host === t.host);
});

Deno.test("cancelById kills a running task on its worker; cancelByTag takes a waiting one", async () => {
  await using dir = await tempDir();
  const marker = `${dir.path}/started`;
  await using wq = new WorkQueue({ port: 0 });
  await using worker = startWorker(wq.port, { args: ["--single-shot", "-s", dir.path] });
  const long = new Task(`touch ${marker}; sleep 60; touch ${dir.path}/not-killed`);
  const waiting = new Task("echo never");
  waiting.tag = "later";
  wq.submit(long);
  wq.submit(waiting);
  await until(() => exists(marker), "the long task to start");
  assert.equal(wq.cancelByTag("later"), waiting);
  assert.equal(wq.cancelByTag("later"), null);
  assert.equal(wq.cancelById(long.id), long);
  assert.equal(wq.cancelById(long.id), null);
  assert.equal(long.state, "cancelled");
  assert.ok(wq.empty());
  // The worker is free again: a new task runs at once.
  const next = new Task("echo next");
  wq.submit(next);
  assert.equal(await wq.wait(60), next);
  assert.equal(await exists(`${dir.path}/not-killed`), false);
  wq.shutdownWorkers(0);
  await worker.status;
});

Deno.test("status queries on the manager's port answer JSON, raw and over HTTP", async () => {
  await using wq = new WorkQueue({ port: 0, name: "status-test" });
  wq.submit(new Task("true"));
  const ask = async (line: string) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: wq.port });
    await conn.write(new TextEncoder().encode(line + "\n"));
    const text = await new Response(conn.readable).text();
    return text;
  };
  const q = JSON.parse(await ask("queue_status"));
  assert.equal(q[0].project, "status-test");
  assert.equal(q[0].tasks_waiting, 1);
  const tasks = JSON.parse(await ask("task_status"));
  assert.equal(tasks[0].command, "true");
  const http = await ask("GET /queue_status HTTP/1.1");
  assert.match(http, /^HTTP\/1\.1 200 OK\n/);
  assert.equal(JSON.parse(http.split("\n\n")[1])[0].port, wq.port);
});

// The one keepalive test on real time (the others move a manual clock), with
// the shortest limits a loaded machine's workers still answer within.
Deno.test("a frozen worker is dropped by keepalive and its task runs on another", async () => {
  await using dir = await tempDir();
  const marker = `${dir.path}/first-started`;
  await using wq = new WorkQueue({
    port: 0,
    keepaliveInterval: 0.5,
    keepaliveTimeout: 1,
    logger: quiet,
  });
  await using frozen = startWorker(wq.port, { args: ["--single-shot", "-s", dir.path] });
  const t = new Task(`if mkdir ${marker} 2>/dev/null; then sleep 60; fi; echo done`);
  wq.submit(t);
  await until(() => exists(marker), "the task to start on the first worker");
  frozen.kill("SIGSTOP");
  await until(() => wq.stats.workersLost === 1, "keepalive to drop the frozen worker");
  await using good = startWorker(wq.port, { args: ["--single-shot", "-s", dir.path] });
  assert.equal(await wq.wait(60), t);
  assert.equal(t.output, "done\n");
  frozen.killTree();
  wq.shutdownWorkers(0);
  await good.status;
});

Deno.test("a worker reconnects on its own when a new manager takes the port", async () => {
  await using dir = await tempDir();
  const first = new WorkQueue({ port: 0, logger: quiet });
  const port = first.port;
  await using worker = startWorker(port, {
    args: ["-s", dir.path, "--min-backoff", "0.1", "--max-backoff", "0.5"],
  });
  await until(() => first.stats.workersConnected === 1, "the worker to join");
  await first.close();
  await using second = new WorkQueue({ port, logger: quiet });
  const t = new Task("echo reconnected");
  second.submit(t);
  assert.equal(await second.wait(60), t);
  assert.equal(t.output, "reconnected\n");
  second.shutdownWorkers(0);
  assert.equal((await worker.status).code, 0);
});

Deno.test("large inputs and outputs stream without being held in the manager's memory", async () => {
  await using dir = await tempDir();
  const size = 200 * 1024 * 1024;
  {
    using f = await Deno.open(`${dir.path}/big.bin`, { write: true, create: true });
    const chunk = new Uint8Array(1 << 20).map((_, i) => i % 253);
    for (let i = 0; i < size / chunk.length; i++) await f.write(chunk);
  }
  await using wq = new WorkQueue({ port: 0 });
  await using worker = startWorker(wq.port, { args: ["--single-shot", "-s", dir.path] });
  const before = Deno.memoryUsage().rss;
  const t = new Task("cp big.bin copy.bin; wc -c < copy.bin");
  t.specifyInputFile(`${dir.path}/big.bin`, "big.bin", { cache: false });
  t.specifyOutputFile(`${dir.path}/copy.bin`, "copy.bin");
  wq.submit(t);
  assert.equal(await wq.wait(120), t);
  const grown = Deno.memoryUsage().rss - before;
  assert.equal(t.output.trim(), String(size));
  assert.equal((await Deno.stat(`${dir.path}/copy.bin`)).size, size);
  assert.ok(
    grown < size / 2,
    `manager memory grew by ${grown} bytes for a ${size}-byte round trip`,
  );
  wq.shutdownWorkers(0);
  await worker.status;
});

Deno.test("an AbortSignal closes the queue and closed() resolves; byte counters move", async () => {
  await using dir = await tempDir();
  const ac = new AbortController();
  const wq = new WorkQueue({ port: 0, signal: ac.signal });
  await using worker = startWorker(wq.port, { args: ["--single-shot", "-s", dir.path] });
  const t = new Task("cat in.txt").specifyInputBuffer("0123456789", "in.txt");
  wq.submit(t);
  assert.equal(await wq.wait(60), t);
  assert.ok(wq.stats.bytesSent > 10, `bytesSent ${wq.stats.bytesSent}`);
  assert.ok(wq.stats.bytesReceived > 10, `bytesReceived ${wq.stats.bytesReceived}`);
  const closed = wq.closed();
  ac.abort();
  await closed;
  assert.throws(() => wq.submit(new Task("true")), /closed/);
  // Released by the closing manager, the single-shot worker exits.
  assert.equal((await worker.status).code, 0);
});
