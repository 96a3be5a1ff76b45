import assert from "node:assert/strict";
import { ManualClock, realClock } from "./clock.ts";

Deno.test("ManualClock stands still until advance() moves it", () => {
  const clock = new ManualClock(5000);
  let fired = 0;
  clock.setTimeout(() => fired++, 100);
  assert.equal(clock.now(), 5000);
  clock.advance(99);
  assert.equal(fired, 0);
  assert.equal(clock.now(), 5099);
  clock.advance(1);
  assert.equal(fired, 1);
  clock.advance(10_000);
  assert.equal(fired, 1, "a one-shot timer fires once");
  assert.equal(clock.pending, 0);
});

Deno.test("ManualClock runs due timers in time order, each at its due time, intervals again and again", () => {
  const clock = new ManualClock();
  const seen: string[] = [];
  clock.setInterval(() => seen.push(`i${clock.now()}`), 400);
  clock.setTimeout(() => seen.push(`a${clock.now()}`), 800); // armed before the interval's 800
  clock.setTimeout(() => seen.push(`b${clock.now()}`), 100);
  clock.advance(1000);
  assert.deepEqual(seen, ["b100", "i400", "a800", "i800"]);
  assert.equal(clock.now(), 1000);
  clock.advance(200);
  assert.deepEqual(seen.slice(4), ["i1200"]);
});

Deno.test("ManualClock runs timers that timers start when they fall due in the same advance", () => {
  const clock = new ManualClock();
  const seen: number[] = [];
  clock.setTimeout(() => {
    seen.push(clock.now());
    clock.setTimeout(() => seen.push(clock.now()), 50);
    clock.setTimeout(() => seen.push(clock.now()), 500);
  }, 100);
  clock.advance(200);
  assert.deepEqual(seen, [100, 150]);
  clock.advance(400);
  assert.deepEqual(seen, [100, 150, 600]);
});

Deno.test("ManualClock: a cancelled timer never fires, also when cancelled by another timer", () => {
  const clock = new ManualClock();
  let fired = 0;
  const every = clock.setInterval(() => fired++, 10);
  const once = clock.setTimeout(() => fired += 100, 50);
  clock.setTimeout(() => once.cancel(), 20);
  clock.advance(35);
  assert.equal(fired, 3);
  every.cancel();
  clock.advance(1000);
  assert.equal(fired, 3);
  assert.equal(clock.pending, 0);
});

Deno.test("ManualClock refuses to go back or to run an interval of 0", () => {
  const clock = new ManualClock();
  assert.throws(() => clock.advance(-1), RangeError);
  assert.throws(() => clock.setInterval(() => {}, 0), RangeError);
});

Deno.test("realClock tells the epoch time and fires its timers, which keep no process alive", async () => {
  assert.ok(Math.abs(realClock.now() - Date.now()) < 1000);
  const cancelled = realClock.setInterval(() => assert.fail("cancelled"), 1);
  cancelled.cancel();
  // Its timers are unref'd: a ref'd one keeps the test running meanwhile.
  const guard = setTimeout(() => {}, 10_000);
  await new Promise<void>((resolve) => realClock.setTimeout(resolve, 1));
  clearTimeout(guard);
});
