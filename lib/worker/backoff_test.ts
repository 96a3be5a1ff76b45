import assert from "node:assert/strict";
import { Backoff } from "./backoff.ts";

Deno.test("Backoff doubles up to the maximum and resets", () => {
  const b = new Backoff({ minMs: 1000, maxMs: 60000, random: () => 1 });
  assert.deepEqual(
    Array.from({ length: 8 }, () => b.next()),
    [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000],
  );
  b.reset();
  assert.equal(b.next(), 1000);
});

Deno.test("Backoff jitters within the upper half of each step", () => {
  const low = new Backoff({ minMs: 1000, maxMs: 4000, random: () => 0 });
  assert.deepEqual([low.next(), low.next(), low.next()], [500, 1000, 2000]);
  const b = new Backoff({ minMs: 100, maxMs: 100 });
  for (let i = 0; i < 100; i++) {
    const d = b.next();
    assert.ok(d >= 50 && d <= 100, String(d));
  }
});

Deno.test("Backoff rejects max < min", () => {
  assert.throws(() => new Backoff({ minMs: 10, maxMs: 5 }), RangeError);
});
