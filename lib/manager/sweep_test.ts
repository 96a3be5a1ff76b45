import assert from "node:assert/strict";
import { ManualClock } from "../clock.ts";
import { startSweep, sweepPeriodMs } from "./sweep.ts";

Deno.test("sweepPeriodMs() sweeps every second, or four times per short keepalive", () => {
  assert.equal(sweepPeriodMs({ intervalMs: 30_000, timeoutMs: 30_000 }), 1000);
  assert.equal(sweepPeriodMs({ intervalMs: 1000, timeoutMs: 2000 }), 250);
  assert.equal(sweepPeriodMs({ intervalMs: 1, timeoutMs: 1 }), 10);
});

Deno.test("startSweep() sweeps on its clock's timer until cancelled", () => {
  const clock = new ManualClock();
  const at: number[] = [];
  const timer = startSweep(clock, () => at.push(clock.now()), {
    intervalMs: 1000,
    timeoutMs: 2000,
  });
  clock.advance(1000);
  assert.deepEqual(at, [250, 500, 750, 1000]);
  timer.cancel();
  assert.equal(clock.pending, 0);
  clock.advance(1000);
  assert.equal(at.length, 4);
});
