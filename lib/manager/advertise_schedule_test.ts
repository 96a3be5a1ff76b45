import assert from "node:assert/strict";
import { ManualClock } from "../clock.ts";
import { AdvertiseSchedule } from "./advertise_schedule.ts";

function schedule(clock = new ManualClock()) {
  const fired: number[] = [];
  const s = new AdvertiseSchedule({
    clock,
    intervalMs: 60_000,
    minGapMs: 5_000,
    fire: () => fired.push(clock.now()),
  });
  return { s, fired, clock };
}

Deno.test("AdvertiseSchedule fires at start and then every interval", () => {
  const { s, fired, clock } = schedule();
  s.start();
  s.start(); // again: nothing more
  clock.advance(130_000);
  assert.deepEqual(fired, [0, 60_000, 120_000]);
  s.stop();
  assert.equal(clock.pending, 0);
});

Deno.test("AdvertiseSchedule.soon() waits out the gap since the last update, and coalesces", () => {
  const { s, fired, clock } = schedule();
  s.soon(); // not started: nothing
  clock.advance(1);
  assert.deepEqual(fired, []);
  s.start();
  clock.advance(1_000);
  s.soon();
  s.soon();
  clock.advance(3_999);
  assert.deepEqual(fired, [1], "not before the gap");
  clock.advance(1);
  assert.deepEqual(fired, [1, 5_001]);
  clock.advance(20_000);
  s.soon(); // long after the last one: at once
  clock.advance(0);
  assert.deepEqual(fired, [1, 5_001, 25_001]);
  s.stop();
});

Deno.test("AdvertiseSchedule: a periodic update counts for the gap, and stop() cancels a pending one", () => {
  const { s, fired, clock } = schedule(new ManualClock(100));
  s.start();
  clock.advance(60_000); // periodic at 60 100
  s.soon();
  clock.advance(4_999);
  assert.deepEqual(fired, [100, 60_100]);
  s.stop();
  clock.advance(120_000);
  assert.deepEqual(fired, [100, 60_100]);
  assert.equal(s.running, false);
  assert.equal(clock.pending, 0);
});

Deno.test("AdvertiseSchedule.now() fires at once and restarts the gap", () => {
  const { s, fired, clock } = schedule();
  s.start();
  clock.advance(10_000);
  s.now();
  s.soon();
  clock.advance(4_999);
  assert.deepEqual(fired, [0, 10_000]);
  clock.advance(1);
  assert.deepEqual(fired, [0, 10_000, 15_000]);
  s.stop();
});
