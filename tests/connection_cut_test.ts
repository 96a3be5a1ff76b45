// Connections cut mid-transfer, in either direction, by a TCP proxy between
// our worker and our manager: the worker is dropped, the task runs again and
// comes back once, and no partial output is ever visible at its final path.
// The keepalive during such transfers: tests/keepalive_transfer_test.ts.

import assert from "node:assert/strict";
import { Task, WORK_QUEUE_RESULT_SUCCESS, WorkQueue } from "../mod.ts";
import { exists, type Proc, startWorker, tempDir, until } from "./_harness.ts";
import { type Direction, startProxy, type TcpProxy } from "./_proxy.ts";
import { assertNothingLanded, BIG, listDir, MiB, noise, sha256, workerArgs } from "./_transfer.ts";

/**
 * Runs a single-shot worker through the proxy until the proxy cuts it after
 * 5 MiB in `direction`, and checks that the worker exits and is dropped and
 * that the task goes back to the queue. Returns the worker (it has exited).
 */
async function cutOffOnce(
  wq: WorkQueue,
  o: { proxy: TcpProxy; task: Task; ws: string; direction: Direction },
): Promise<Proc> {
  await using worker = startWorker(o.proxy.port, { args: workerArgs(o.ws, ["--single-shot"]) });
  const cut = await o.proxy.cut;
  assert.equal(cut.direction, o.direction);
  assert.equal(cut[o.direction], 5 * MiB);
  assert.equal((await worker.status).code, 0, worker.log());
  await until(() => o.task.state === "ready", "the task to go back to the queue", 60_000);
  const s = wq.stats;
  assert.equal(s.workersConnected, 0, "the cut-off worker is dropped");
  assert.equal(s.workersRemoved, 1);
  assert.equal(o.task.attempts, 1);
  return worker;
}

Deno.test("the test proxy forwards both ways and cuts after exactly N bytes", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const received = (async () => {
    const c = await listener.accept();
    await c.write(new TextEncoder().encode("hello"));
    const chunks: number[] = [];
    const buf = new Uint8Array(1024);
    for (;;) {
      const n = await c.read(buf).catch((e) => {
        if (e instanceof Deno.errors.ConnectionReset) return null;
        throw e;
      });
      if (n === null) break;
      chunks.push(n);
    }
    c.close();
    return chunks.reduce((a, b) => a + b, 0);
  })();
  await using proxy = startProxy((listener.addr as Deno.NetAddr).port, {
    cut: { direction: "toManager", afterBytes: 10 },
  });
  const c = await Deno.connect({ hostname: "127.0.0.1", port: proxy.port });
  const buf = new Uint8Array(5);
  let got = 0;
  while (got < 5) got += (await c.read(buf.subarray(got)))!;
  assert.equal(new TextDecoder().decode(buf), "hello");
  await c.write(new Uint8Array(100)).catch(() => 0);
  const cut = await proxy.cut;
  assert.deepEqual(cut, { connection: 1, direction: "toManager", toWorker: 5, toManager: 10 });
  assert.equal(await received, 10);
  c.close();
  listener.close();
});

Deno.test("a connection cut while the manager sends a 20 MiB input: the worker is dropped, the task runs again elsewhere and comes back once", async () => {
  await using dir = await tempDir();
  const ws = `${dir.path}/workers`;
  const input = noise(BIG, 7);
  await Deno.writeFile(`${dir.path}/big.in`, input);
  const warnings: string[] = [];
  await using wq = new WorkQueue({ port: 0, logger: (l, m) => l === "warn" && warnings.push(m) });
  await using proxy = startProxy(wq.port, { cut: { direction: "toWorker", afterBytes: 5 * MiB } });

  const t = new Task("sha256sum big.in > sum.txt");
  t.specifyInputFile(`${dir.path}/big.in`, "big.in");
  t.specifyOutputFile(`${dir.path}/out/sum.txt`, "sum.txt");
  wq.submit(t);

  const cutOff = await cutOffOnce(wq, { proxy, task: t, ws, direction: "toWorker" });
  assert.equal(wq.stats.tasksRequeued, 1);
  assert.equal(await exists(`${dir.path}/out/sum.txt`), false);
  // The worker removed its half-received file with its workspace.
  assert.deepEqual(await exists(ws) ? await listDir(ws) : [], [], cutOff.log());

  // A worker that reaches the manager directly runs it.
  await using direct = startWorker(wq.port, { args: workerArgs(ws, ["--single-shot"]) });
  assert.equal(await wq.wait(120), t);
  assert.equal(t.result, WORK_QUEUE_RESULT_SUCCESS, t.failure ?? undefined);
  assert.equal(t.returnStatus, 0);
  const sum = await Deno.readTextFile(`${dir.path}/out/sum.txt`);
  assert.equal(sum, `${await sha256(input)}  big.in\n`);
  // Reported once only.
  assert.equal(await wq.wait(0), null);
  assert.ok(wq.empty());
  assert.equal(wq.stats.tasksDone, 1);
  assert.deepEqual(await listDir(`${dir.path}/out`), ["sum.txt"]);
  // The second worker did not come through the proxy.
  assert.equal(proxy.accepted(), 1);
  wq.shutdownWorkers(0);
  await direct.status;
  assert.ok(warnings.some((w) => /removed worker/.test(w)), warnings.join("\n"));
});

Deno.test("a connection cut while the manager fetches a 20 MiB output: no partial file at the final path, the task runs again and comes back once", async () => {
  await using dir = await tempDir();
  const ws = `${dir.path}/workers`;
  const outDir = `${dir.path}/out`;
  const final = `${outDir}/big.out`;
  await using wq = new WorkQueue({ port: 0, logger: () => {} });
  await using proxy = startProxy(wq.port, { cut: { direction: "toManager", afterBytes: 5 * MiB } });

  // 20 MiB of a known pattern, made on the worker.
  const line = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n"; // 64 bytes
  const t = new Task(`yes ${line.trim()} | head -c ${BIG} > big.out`);
  t.specifyOutputFile(final, "big.out");
  wq.submit(t);

  // Watch the final path the whole time: whenever it exists it must be whole.
  const partial: string[] = [];
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      try {
        const st = await Deno.stat(final);
        if (st.size !== BIG) partial.push(`${st.size} bytes`);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  })();

  try {
    await cutOffOnce(wq, { proxy, task: t, ws, direction: "toManager" });
    assert.equal(wq.stats.workersLost, 1);
    await assertNothingLanded(final);

    // The next worker comes through the proxy too; the cut happens once.
    await using again = startWorker(proxy.port, { args: workerArgs(ws, ["--single-shot"]) });
    assert.equal(await wq.wait(120), t);
    assert.equal(t.result, WORK_QUEUE_RESULT_SUCCESS, t.failure ?? undefined);
    assert.equal(t.returnStatus, 0);
    assert.equal(proxy.accepted(), 2);
    assert.equal(await wq.wait(0), null);
    assert.ok(wq.empty());
    assert.equal(wq.stats.tasksDone, 1);
    wq.shutdownWorkers(0);
    await again.status;
  } finally {
    watching = false;
    await watcher;
  }
  assert.deepEqual(partial, [], "a partial output was visible at the final path");
  assert.deepEqual(await listDir(outDir), ["big.out"]);
  const got = await Deno.readFile(final);
  assert.equal(got.length, BIG);
  const expected = new TextEncoder().encode(line.repeat(BIG / 64));
  assert.equal(await sha256(got), await sha256(expected), "the output's content is wrong");
});

Deno.test("a connection cut on demand while a task runs: the worker redials through the proxy and the task runs again there, once", async () => {
  await using dir = await tempDir();
  const ws = `${dir.path}/workers`;
  await using wq = new WorkQueue({ port: 0, logger: () => {} });
  await using proxy = startProxy(wq.port);
  const runs = `${dir.path}/runs`;
  // Each run leaves a line; the first one waits to be cut off.
  const t = new Task(
    `echo run >> ${runs}; if [ "$(wc -l < ${runs})" -eq 1 ]; then sleep 60; fi; echo done > out.txt`,
  );
  t.specifyOutputFile(`${dir.path}/out.txt`, "out.txt");
  wq.submit(t);
  await using worker = startWorker(proxy.port, { args: workerArgs(ws, ["-i", "0.2"]) });
  await until(() => exists(runs), "the task to start");
  proxy.cutAll();
  assert.equal(await wq.wait(120), t, worker.log());
  assert.equal(t.result, WORK_QUEUE_RESULT_SUCCESS, t.failure ?? undefined);
  assert.equal(t.attempts, 1);
  assert.equal(await Deno.readTextFile(`${dir.path}/out.txt`), "done\n");
  assert.equal(await Deno.readTextFile(runs), "run\nrun\n");
  assert.equal(proxy.accepted(), 2, "the same worker came back through the proxy");
  assert.equal(await wq.wait(0), null);
  assert.ok(wq.empty());
  wq.shutdownWorkers(0);
  assert.equal((await worker.status).code, 0);
});

Deno.test("connections cut at many points in either direction: the task always comes back once, with every output whole", async () => {
  await using dir = await tempDir();
  const ws = `${dir.path}/workers`;
  const input = noise(MiB, 11);
  await Deno.writeFile(`${dir.path}/in.bin`, input);
  const inputSum = await sha256(input);
  const partSum = await sha256(input.slice(0, 700_000));
  const dirSum = await sha256(input.slice(0, 300_000));
  await using wq = new WorkQueue({ port: 0, logger: () => {} });
  // From the handshake, through the task and its input, to the result, stdout and outputs.
  const points = [
    1,
    20,
    60,
    150,
    300,
    500,
    800,
    1200,
    2000,
    4000,
    100_000,
    600_000,
    900_000,
    1_500_000,
  ];
  const cases = points.flatMap((n) =>
    (["toWorker", "toManager"] as const).map((direction) => ({ direction, afterBytes: n }))
  );
  let cutsMade = 0;
  for (const rule of cases) {
    const what = `cut ${rule.direction} after ${rule.afterBytes} bytes`;
    await using proxy = startProxy(wq.port, { cut: rule });
    const out = `${dir.path}/out-${rule.direction}-${rule.afterBytes}`;
    const t = new Task(
      "sha256sum in.bin > sum.txt; head -c 700000 in.bin > part.bin; " +
        "mkdir -p d/e; head -c 300000 in.bin > d/e/a; echo b > d/b; echo stdout-ok",
    );
    t.specifyInputFile(`${dir.path}/in.bin`, "in.bin");
    t.specifyOutputFile(`${out}/sum.txt`, "sum.txt");
    t.specifyOutputFile(`${out}/part.bin`, "part.bin");
    t.specifyOutputFile(`${out}/d`, "d"); // a directory
    wq.submit(t);
    const back = wq.wait(120);
    await using first = startWorker(proxy.port, { args: workerArgs(ws, ["--single-shot"]) });
    const cut = await Promise.race([proxy.cut, back.then(() => null)]);
    let second: ReturnType<typeof startWorker> | undefined;
    if (cut) {
      cutsMade++;
      assert.equal((await first.status).code, 0, `${what}: ${first.log()}`);
      // The cut-off worker is dropped before the next comes.
      await until(() => wq.stats.workersConnected === 0, `${what}: the worker to be dropped`);
      second = startWorker(proxy.port, { args: workerArgs(ws, ["--single-shot"]) });
    }
    try {
      assert.equal(await back, t, what);
      assert.equal(t.result, WORK_QUEUE_RESULT_SUCCESS, `${what}: ${t.failure}`);
      assert.equal(t.returnStatus, 0, what);
      assert.equal(t.output, "stdout-ok\n", what);
      assert.equal(await Deno.readTextFile(`${out}/sum.txt`), `${inputSum}  in.bin\n`, what);
      assert.equal(await sha256(await Deno.readFile(`${out}/part.bin`)), partSum, what);
      assert.equal(await sha256(await Deno.readFile(`${out}/d/e/a`)), dirSum, what);
      assert.equal(await Deno.readTextFile(`${out}/d/b`), "b\n", what);
      assert.deepEqual(await listDir(out), ["d", "part.bin", "sum.txt"], what);
      assert.deepEqual(await listDir(`${out}/d`), ["b", "e"], what);
      assert.equal(await wq.wait(0), null, what);
      assert.ok(wq.empty(), what);
    } finally {
      wq.shutdownWorkers(0);
      await first.status;
      if (second) await second[Symbol.asyncDispose]();
    }
  }
  // Every point but the last in each direction lies inside the traffic of one task.
  assert.equal(cutsMade, cases.length - 2);
});

// The cuts come every 300 ms, but only once a task has come back since the
// last one: on a loaded machine a round trip may take longer than 300 ms,
// and cuts that outpace every transfer would test nothing but starvation.
Deno.test("a flaky network: every connection cut every 300 ms, after progress, while 300 tasks move files; each comes back once and right", async () => {
  await using dir = await tempDir();
  const ws = `${dir.path}/workers`;
  const n = 300;
  await Deno.mkdir(`${dir.path}/in`);
  for (let i = 0; i < n; i++) await Deno.writeFile(`${dir.path}/in/${i}`, noise(256 * 1024, i + 1));
  await using wq = new WorkQueue({ port: 0, logger: () => {} });
  await using proxy = startProxy(wq.port);
  for (let i = 0; i < n; i++) {
    const t = new Task("sleep 0.05; sha256sum in.bin > sum.txt; cat in.bin in.bin > twice.bin")
      .specifyCores(1);
    t.specifyInputFile(`${dir.path}/in/${i}`, "in.bin", { cache: false });
    t.specifyOutputFile(`${dir.path}/out/${i}.sum`, "sum.txt");
    t.specifyOutputFile(`${dir.path}/out/${i}.twice`, "twice.bin");
    t.tag = String(i);
    wq.submit(t);
  }
  const args = workerArgs(ws, ["-i", "0.1", "-b", "0.5"], 4);
  await using w1 = startWorker(proxy.port, { args });
  await using w2 = startWorker(proxy.port, { args });
  let stop = false;
  let cuts = 0;
  let backSinceCut = 0;
  const driver = (async () => {
    while (!stop) {
      await new Promise((r) => setTimeout(r, 300));
      if (stop) break;
      if (backSinceCut === 0) continue;
      proxy.cutAll();
      cuts++;
      backSinceCut = 0;
    }
  })();
  const seen = new Set<number>();
  let rerun = 0;
  try {
    for (let k = 0; k < n; k++) {
      const t = await wq.wait(120);
      assert.ok(t, `only ${k} of ${n} tasks came back`);
      backSinceCut++;
      assert.ok(!seen.has(t.id), `task ${t.id} came back twice`);
      seen.add(t.id);
      assert.equal(t.result, WORK_QUEUE_RESULT_SUCCESS, `task ${t.id}: ${t.failure}`);
      const input = await Deno.readFile(`${dir.path}/in/${t.tag}`);
      const sum = await Deno.readTextFile(`${dir.path}/out/${t.tag}.sum`);
      assert.equal(sum, `${await sha256(input)}  in.bin\n`);
      const twice = await Deno.readFile(`${dir.path}/out/${t.tag}.twice`);
      assert.equal(twice.length, 2 * input.length);
      const inputSum = await sha256(input);
      assert.equal(await sha256(twice.slice(0, input.length)), inputSum, `task ${t.id}`);
      assert.equal(await sha256(twice.slice(input.length)), inputSum, `task ${t.id}`);
      if (t.attempts > 0) rerun++;
    }
  } finally {
    stop = true;
    await driver;
  }
  assert.equal(await wq.wait(0), null);
  assert.equal(
    (await listDir(`${dir.path}/out`)).length,
    2 * n,
    "stray files in the output directory",
  );
  assert.ok(cuts > 0 && proxy.accepted() > 2, `${cuts} cuts, ${proxy.accepted()} connections`);
  const connections = proxy.accepted();
  console.log(
    `flaky network: ${n} tasks, ${cuts} cuts, ${connections} connections, ${rerun} re-run`,
  );
  const figures = {
    test: "flaky-network",
    tasks: n,
    cuts,
    connections,
    tasksRerun: rerun,
    lost: 0,
  };
  const file = Deno.env.get("WQ_RELIABILITY_OUT");
  if (file) await Deno.writeTextFile(file, JSON.stringify(figures) + "\n", { append: true });
  wq.shutdownWorkers(0);
  await w1.status;
  await w2.status;
});
