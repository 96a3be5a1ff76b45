// Keepalive during transfers through the test proxy: a worker busy with a
// slow transfer is not dropped, and one whose connection goes silent in the
// middle of one is. All but one move a manual clock (by the bytes a slow link
// would take, or step by step) instead of waiting for real seconds.

import assert from "node:assert/strict";
import { Task, WORK_QUEUE_RESULT_SUCCESS, WorkQueue } from "../mod.ts";
import { ManualClock } from "../lib/clock.ts";
import { advanceUntil, startWorker, tempDir, until } from "./_harness.ts";
import { startProxy } from "./_proxy.ts";
import { assertNothingLanded, BIG, listDir, MiB, noise, sha256, workerArgs } from "./_transfer.ts";

// A worker busy with a long transfer answers a keepalive check only after the
// body ahead of it, so the manager must count the traffic itself as life.
// Uploads get a wider keepalive window: the kernel's buffers take a few MiB
// that drain after the manager's last write (the docs say so). The upload
// runs at full speed while the manager's manual clock moves by the time each
// chunk takes at 2 MiB/s; the download runs on real time through a throttle.
const SLOW = [
  {
    direction: "toWorker",
    what: "an input",
    size: 12 * MiB,
    rate: 2 * MiB,
    keepalive: 2,
    manual: true,
  },
  {
    direction: "toManager",
    what: "an output",
    size: 4 * MiB,
    rate: MiB,
    keepalive: 1,
    manual: false,
  },
] as const;

for (const slow of SLOW) {
  const seconds = slow.size / slow.rate;
  const time = slow.manual ? "manual-clock" : "real";
  Deno.test(`${slow.what} that takes ${seconds} s (${time}) to move does not get its worker dropped with a ${slow.keepalive} s keepalive`, async () => {
    await using dir = await tempDir();
    const ws = `${dir.path}/workers`;
    const input = noise(slow.size, 5);
    await Deno.writeFile(`${dir.path}/in.bin`, input);
    const clock = slow.manual ? new ManualClock() : undefined;
    await using wq = new WorkQueue({
      port: 0,
      keepaliveInterval: slow.keepalive,
      keepaliveTimeout: slow.keepalive,
      clock,
    });
    await using proxy = startProxy(
      wq.port,
      clock
        ? { onForward: (d, n) => d === slow.direction && clock.advance((n / slow.rate) * 1000) }
        : { throttle: { [slow.direction]: slow.rate } },
    );
    const t = new Task("cat in.bin > copy.bin");
    t.specifyInputFile(`${dir.path}/in.bin`, "in.bin");
    t.specifyOutputFile(`${dir.path}/copy.bin`, "copy.bin");
    wq.submit(t);
    await using worker = startWorker(proxy.port, { args: workerArgs(ws, ["--single-shot"]) });
    await until(
      () => t.state === "complete" || wq.stats.workersRemoved > 0,
      "the task to complete or its worker to be dropped",
      120_000,
    );
    assert.equal(wq.stats.workersRemoved, 0, "the worker was dropped during a slow transfer");
    assert.equal(await wq.wait(0), t);
    assert.equal(t.result, WORK_QUEUE_RESULT_SUCCESS, t.failure ?? undefined);
    assert.equal(t.attempts, 0);
    assert.equal(await sha256(await Deno.readFile(`${dir.path}/copy.bin`)), await sha256(input));
    wq.shutdownWorkers(0);
    await worker.status;
  });
}

for (const direction of ["toWorker", "toManager"] as const) {
  const moving = direction === "toWorker" ? "a 20 MiB input" : "a 20 MiB output";
  Deno.test(`a connection that goes silent while ${moving} moves: the worker is dropped after the keepalive timeout and the task runs elsewhere`, async () => {
    await using dir = await tempDir();
    const ws = `${dir.path}/workers`;
    const outDir = `${dir.path}/out`;
    const final = `${outDir}/big.out`;
    const input = noise(BIG, 3);
    await Deno.writeFile(`${dir.path}/big.in`, input);
    const clock = new ManualClock();
    await using wq = new WorkQueue({
      port: 0,
      keepaliveInterval: 1,
      keepaliveTimeout: 1,
      logger: () => {},
      clock,
    });
    // After 2 MiB the proxy forwards nothing more, either way, and closes nothing.
    await using proxy = startProxy(wq.port, {
      cut: { direction, afterBytes: 2 * MiB, freeze: true },
    });
    const t = new Task("cat big.in > big.out");
    t.specifyInputFile(`${dir.path}/big.in`, "big.in");
    t.specifyOutputFile(final, "big.out");
    wq.submit(t);
    await using silent = startWorker(proxy.port, { args: workerArgs(ws, ["--single-shot"]) });
    await proxy.cut;
    await advanceUntil(clock, () => t.state === "ready", "the task to go back to the queue", {
      timeoutMs: 60_000,
    });
    assert.equal(wq.stats.workersLost, 1);
    assert.equal(wq.stats.workersConnected, 0);
    await assertNothingLanded(final);

    await using direct = startWorker(wq.port, { args: workerArgs(ws, ["--single-shot"]) });
    assert.equal(await wq.wait(120), t);
    assert.equal(t.result, WORK_QUEUE_RESULT_SUCCESS, t.failure ?? undefined);
    assert.equal(t.attempts, 1);
    assert.equal(await sha256(await Deno.readFile(final)), await sha256(input));
    assert.deepEqual(await listDir(outDir), ["big.out"]);
    assert.equal(await wq.wait(0), null);
    wq.shutdownWorkers(0);
    await direct.status;
    await proxy.close(); // the silent worker sees its connection end only now
    assert.equal((await silent.status).code, 0, silent.log());
  });
}
