// Resources, priorities, retries and fast abort with real workers over
// loopback, each scenario with our worker and with CCTools' work_queue_worker.

import assert from "node:assert/strict";
import {
  Task,
  WORK_QUEUE_RESULT_MAX_RETRIES,
  WORK_QUEUE_RESULT_SUCCESS,
  WorkQueue,
} from "../mod.ts";
import { ManualClock } from "../lib/clock.ts";
import { FakeWorker } from "./_fake_worker.ts";
import { exists, startWorker, tempDir, until } from "./_harness.ts";

const KINDS = [{ name: "our worker", cctools: false }, { name: "CCTools worker", cctools: true }];

function workerArgs(dir: string, cores: number): string[] {
  return [
    "--single-shot",
    "-t",
    "60",
    "-s",
    dir,
    "--cores",
    String(cores),
    "--memory",
    "1000",
    "--disk",
    "1000",
  ];
}

for (const kind of KINDS) {
  const cctools = kind.cctools;

  Deno.test(`${kind.name}: tasks that ask for a core each share a 2-core worker and see CORES and the sandbox`, async () => {
    await using dir = await tempDir();
    await using wq = new WorkQueue({ port: 0 });
    await using worker = startWorker(wq.port, { cctools, args: workerArgs(dir.path, 2) });
    // Each task waits until the other has started: they finish only if they run at once.
    const mk = (me: string, other: string) =>
      new Task(
        `touch ${dir.path}/${me}; while [ ! -e ${dir.path}/${other} ]; do sleep 0.05; done; ` +
          `echo "cores=$CORES"; test -d "$WORK_QUEUE_SANDBOX" && echo sandbox-ok`,
      ).specifyCores(1);
    const a = mk("a", "b");
    const b = mk("b", "a");
    wq.submit(a);
    wq.submit(b);
    const back = [await wq.wait(60), await wq.wait(60)];
    assert.deepEqual(new Set(back), new Set([a, b]));
    for (const t of [a, b]) {
      assert.equal(t.result, WORK_QUEUE_RESULT_SUCCESS);
      assert.equal(t.output, "cores=1\nsandbox-ok\n");
    }
    // A task that asks for nothing gets the whole worker.
    const whole = new Task('echo "cores=$CORES"');
    wq.submit(whole);
    assert.equal(await wq.wait(60), whole);
    assert.equal(whole.output, "cores=2\n");
    wq.shutdownWorkers(0);
    await worker.status;
  });

  Deno.test(`${kind.name}: a task too large for every worker is counted, logged once, explained, and runs when a large worker comes`, async () => {
    await using dir = await tempDir();
    const warnings: string[] = [];
    await using wq = new WorkQueue({ port: 0, logger: (l, m) => l === "warn" && warnings.push(m) });
    await using small = startWorker(wq.port, { cctools, args: workerArgs(dir.path, 2) });
    const big = new Task("echo big").specifyCores(8);
    const fine = new Task("echo fine").specifyCores(1);
    wq.submit(big);
    wq.submit(fine);
    assert.equal(await wq.wait(60), fine);
    await until(() => wq.stats.tasksUnfittable === 1, "the large task to be counted as unfittable");
    const why = `task ${big.id} needs 8 cores; the largest worker has 2`;
    assert.equal(wq.explain(big.id), why);
    assert.equal(warnings.filter((w) => w.includes(why)).length, 1, warnings.join("\n"));
    // Other events do not log it again.
    const again = new Task("echo again").specifyCores(1);
    wq.submit(again);
    assert.equal(await wq.wait(60), again);
    assert.equal(warnings.filter((w) => w.includes(why)).length, 1);

    await using large = startWorker(wq.port, { cctools, args: workerArgs(dir.path, 8) });
    assert.equal(await wq.wait(60), big);
    assert.equal(big.output, "big\n");
    assert.equal(wq.stats.tasksUnfittable, 0);
    wq.shutdownWorkers(0);
    await small.status;
    await large.status;
  });

  Deno.test(`${kind.name}: higher priority runs first, ties in submit order`, async () => {
    await using dir = await tempDir();
    const gate = `${dir.path}/gate`;
    await using wq = new WorkQueue({ port: 0 });
    await using worker = startWorker(wq.port, { cctools, args: workerArgs(dir.path, 1) });
    const blocker = new Task(`while [ ! -e ${gate} ]; do sleep 0.05; done`);
    wq.submit(blocker);
    await until(() => wq.stats.tasksRunning === 1, "the blocker to run");
    const order = ["low-1", "high", "low-2", "mid"];
    const prio: Record<string, number> = { "low-1": 0, high: 10, "low-2": 0, mid: 5 };
    for (const name of order) {
      const t = new Task(`echo ${name}`);
      t.priority = prio[name];
      wq.submit(t);
    }
    await Deno.writeTextFile(gate, "");
    assert.equal(await wq.wait(60), blocker);
    const seen: string[] = [];
    for await (const t of wq) seen.push(t.output.trim());
    assert.deepEqual(seen, ["high", "mid", "low-1", "low-2"]);
    wq.shutdownWorkers(0);
    await worker.status;
  });

  Deno.test(`${kind.name}: specifyMaxRetries returns MAX_RETRIES after n lost workers, and retries below it`, async () => {
    await using dir = await tempDir();
    await using wq = new WorkQueue({ port: 0, logger: () => {} });
    const started = `${dir.path}/started`;
    const doomed = new Task(`touch ${started}; sleep 30`).specifyMaxRetries(1);
    wq.submit(doomed);
    const w1 = startWorker(wq.port, { cctools, args: workerArgs(dir.path, 1) });
    await until(() => exists(started), "the task to start");
    w1.killTree();
    await w1.status;
    assert.equal(await wq.wait(60), doomed);
    assert.equal(doomed.result, WORK_QUEUE_RESULT_MAX_RETRIES);
    assert.equal(doomed.attempts, 1);
    assert.match(doomed.failure ?? "", /max retries 1/);

    await Deno.remove(started);
    const marker = `${dir.path}/once`;
    const survivor = new Task(
      `touch ${started}; if mkdir ${marker} 2>/dev/null; then sleep 30; fi; echo ok`,
    )
      .specifyMaxRetries(3);
    wq.submit(survivor);
    const w2 = startWorker(wq.port, { cctools, args: workerArgs(dir.path, 1) });
    await until(() => exists(marker), "the task to start");
    w2.killTree();
    await w2.status;
    await using w3 = startWorker(wq.port, { cctools, args: workerArgs(dir.path, 1) });
    assert.equal(await wq.wait(60), survivor);
    assert.equal(survivor.result, WORK_QUEUE_RESULT_SUCCESS);
    assert.equal(survivor.output, "ok\n");
    assert.equal(survivor.attempts, 1);
    wq.shutdownWorkers(0);
    await w3.status;
  });

  Deno.test(`${kind.name}: fast abort re-runs stragglers elsewhere and dismisses the slow worker`, async () => {
    await using dir = await tempDir();
    await using wq = new WorkQueue({ port: 0, logger: () => {} });
    wq.activateFastAbort(5);
    // The slow worker is first, so it takes the first task; on it every task takes 10 s,
    // far past the limit (5 x 0.1 s and some), and a CCTools worker that waits for a task its
    // kill missed waits no longer than that.
    await using slow = startWorker(wq.port, {
      cctools,
      args: workerArgs(dir.path, 1),
      env: { SLOW: "1" },
    });
    await until(() => wq.stats.workersConnected === 1, "the slow worker to join");
    await using fast1 = startWorker(wq.port, { cctools, args: workerArgs(dir.path, 1) });
    await using fast2 = startWorker(wq.port, { cctools, args: workerArgs(dir.path, 1) });
    const n = 40;
    for (let i = 0; i < n; i++) {
      wq.submit(new Task(`if [ -n "$SLOW" ]; then sleep 10; else sleep 0.1; fi; echo ok`));
    }
    await until(() => wq.stats.workersConnected === 3, "all workers to join");
    const slowHosts = new Set<string>();
    let done = 0;
    for await (const t of wq) {
      assert.equal(t.result, WORK_QUEUE_RESULT_SUCCESS);
      assert.equal(t.output, "ok\n");
      slowHosts.add(t.host!);
      done++;
    }
    assert.equal(done, n);
    const s = wq.stats;
    assert.ok(s.tasksFastAborted >= 2, `fast-aborted ${s.tasksFastAborted}`);
    assert.equal(s.workersFastAborted, 1);
    // The dismissed slow worker exits; no task came back from it.
    assert.equal((await slow.status).code, 0);
    assert.equal(slowHosts.size, 2);
    wq.shutdownWorkers(0);
    await fast1.status;
    await fast2.status;
  });
}

// The logic of fast abort on a manual clock, with two hand-driven workers:
// each task takes the fast one 250 ms of that clock; the slow one never
// answers. No real second passes.
Deno.test("fast abort on a manual clock: after 10 successes a task past 3x the average is re-run elsewhere; the worker slow twice is dismissed", async () => {
  const clock = new ManualClock();
  await using wq = new WorkQueue({ port: 0, logger: () => {}, clock });
  wq.activateFastAbort(3);
  const slow = await FakeWorker.connect(wq.port, { answerChecks: true });
  await until(() => wq.stats.workersConnected === 1, "the slow worker to join");
  const fast = await FakeWorker.connect(wq.port, { answerChecks: true });
  await until(() => wq.stats.workersConnected === 2, "the fast worker to join");
  const fastAddr = `127.0.0.1:${(fast.conn.localAddr as Deno.NetAddr).port}`;
  const n = 24;
  const tasks = Array.from({ length: n }, (_, i) => new Task(`echo ${i}`));
  for (const t of tasks) wq.submit(t);
  // The slow worker (first to join) takes the first task and sits on it.
  assert.equal(await slow.expect(/^task \d+$/), `task ${tasks[0].id}`);
  const serving = (async () => {
    for (let k = 0; k < n; k++) {
      const id = Number((await fast.expect(/^task \d+$/))!.split(" ")[1]);
      await fast.expect(/^end$/);
      clock.advance(250);
      await fast.send("available_results\n");
      await fast.expect(/^send_results/);
      await fast.send(`result 0 0 3 250000 ${id}\nok\nend\n`);
    }
  })();
  const back = new Set<Task>();
  while (back.size < n) {
    const t = await wq.wait(30);
    assert.ok(t, `only ${back.size} of ${n} tasks came back`);
    assert.ok(!back.has(t), `task ${t.id} came back twice`);
    back.add(t);
    assert.equal(t.result, WORK_QUEUE_RESULT_SUCCESS, t.failure ?? undefined);
    assert.equal(t.output, "ok\n");
    assert.equal(t.host, fastAddr, `task ${t.id} came back from the slow worker`);
  }
  await serving;
  assert.equal(await wq.wait(0), null);
  const s = wq.stats;
  assert.equal(s.tasksFastAborted, 2);
  assert.equal(s.workersFastAborted, 1);
  assert.equal(tasks[0].attempts, 1, "the first straggler ran again");
  assert.equal(tasks.filter((t) => t.attempts === 1).length, 2);
  // The slow worker was told to kill the first straggler, and is dropped after the second.
  assert.equal(await slow.expect(/^kill /), `kill ${tasks[0].id}`);
  assert.ok(await slow.closedByPeer(), "the manager closes the dismissed worker's connection");
  slow.close();
  fast.close();
});
