import assert from "node:assert/strict";
import { ManualClock } from "../clock.ts";
import { kInternal, Task } from "../task.ts";
import { Core } from "./core.ts";
import { FastAbort } from "./fast_abort.ts";
import { startSweep, sweep, type SweepHost, sweepPeriodMs } from "./sweep.ts";
import { WorkerInfo } from "./worker_info.ts";

/** A host that records what the sweep asks for (the worker's traffic never moves). */
function recordingHost(core = new Core(), fastAbort = new FastAbort()) {
  const calls: string[] = [];
  const host: SweepHost = {
    core,
    fastAbort,
    traffic: () => ({ read: 0, written: 0 }),
    abortStraggler: (t) => calls.push(`abort ${t.id}`),
    removeWorker: (w, reason) => calls.push(`remove ${w.id}: ${reason}`),
    sendCheck: (w) => calls.push(`check ${w.id}`),
  };
  return { host, calls };
}

function joined(core: Core, id: number, connectedAt = 0): WorkerInfo {
  const w = new WorkerInfo(id, `127.0.0.1:${9000 + id}`, { connectedAt });
  w.pending.clear();
  w.total = { cores: 4, memory: 1000, disk: 1000, gpus: 0 };
  core.workers.set(id, w);
  return w;
}

function running(core: Core, w: WorkerInfo, id: number, dispatchTime: number): Task {
  const t = new Task("x").specifyCores(1);
  t.id = id;
  core.transition(t, "ready");
  const alloc = { cores: 1, memory: 0, disk: 0, gpus: 0 };
  core.transition(t, "sending", { dispatch: { worker: w, alloc, inputs: [], outputNames: [] } });
  core.transition(t, "running");
  t[kInternal].record.dispatchTime = dispatchTime;
  return t;
}

const limits = { intervalMs: 1000, timeoutMs: 2000 };

Deno.test("sweep() checks a quiet worker, then drops it when the check goes unanswered", () => {
  const { host, calls } = recordingHost();
  joined(host.core, 1);
  for (const now of [500, 1001, 2000, 3001]) sweep(host, now, limits);
  assert.deepEqual(calls, ["check 1"]);
  sweep(host, 3002, limits);
  assert.deepEqual(calls, ["check 1", "remove 1: no answer to a keepalive check within 2 s"]);
});

Deno.test("sweep() leaves alone a worker heard from since its check", () => {
  const { host, calls } = recordingHost();
  const w = joined(host.core, 1);
  sweep(host, 1001, limits);
  w.lastHeard = 1500; // an `alive` came in
  w.checkSentAt = 0;
  sweep(host, 2400, limits); // past the check's timeout, and quiet for less than the interval
  assert.deepEqual(calls, ["check 1"]);
  sweep(host, 2600, limits);
  assert.deepEqual(calls, ["check 1", "check 1"], "quiet for the interval again: checked again");
});

Deno.test("sweep() aborts a straggler only once enough tasks have succeeded", () => {
  const core = new Core();
  const fastAbort = new FastAbort();
  fastAbort.multiplier = 3;
  const { host, calls } = recordingHost(core, fastAbort);
  const w = joined(core, 1, 10_000);
  const slow = running(core, w, 7, 10_000);
  const quick = running(core, w, 8, 10_300);
  for (let i = 0; i < 9; i++) fastAbort.record(100);
  sweep(host, 10_500, limits);
  assert.deepEqual(calls, [], "nine successes are not enough to judge");
  fastAbort.record(100);
  sweep(host, 10_500, limits);
  assert.deepEqual(calls, [`abort ${slow.id}`]);
  assert.equal(quick.state, "running");
});

Deno.test("sweepPeriodMs() sweeps every second, or four times per short keepalive", () => {
  assert.equal(sweepPeriodMs({ intervalMs: 30_000, timeoutMs: 30_000 }), 1000);
  assert.equal(sweepPeriodMs({ intervalMs: 1000, timeoutMs: 2000 }), 250);
  assert.equal(sweepPeriodMs({ intervalMs: 1, timeoutMs: 1 }), 10);
});

Deno.test("startSweep() sweeps on its clock's timer and time until cancelled", () => {
  const clock = new ManualClock();
  const { host, calls } = recordingHost();
  joined(host.core, 1);
  const timer = startSweep(clock, host, limits);
  clock.advance(1000);
  assert.deepEqual(calls, [], "quiet for exactly the interval: not yet");
  clock.advance(250);
  assert.deepEqual(calls, ["check 1"]);
  clock.advance(2000);
  assert.deepEqual(calls, ["check 1"], "the check's timeout has not passed yet");
  clock.advance(250);
  assert.deepEqual(calls, ["check 1", "remove 1: no answer to a keepalive check within 2 s"]);
  timer.cancel();
  assert.equal(clock.pending, 0);
});
