import assert from "node:assert/strict";
import {
  allocationFor,
  asksForNothing,
  fits,
  noResources,
  normalizeRequest,
  release,
  reserve,
  ResourceLedger,
  type Resources,
  shortfall,
} from "./resources.ts";

const total = { cores: 4, memory: 1000, disk: 2000, gpus: 1 };

Deno.test("normalizeRequest() gives a request-less task the whole worker", () => {
  assert.deepEqual(normalizeRequest({}, total), total);
  assert.deepEqual(normalizeRequest({ cores: -1, memory: -1 }, total), total);
});

Deno.test("normalizeRequest() sets missing amounts to 0 once one is given", () => {
  assert.deepEqual(normalizeRequest({ cores: 1 }, total), {
    cores: 1,
    memory: 0,
    disk: 0,
    gpus: 0,
  });
  assert.deepEqual(normalizeRequest({ memory: 10.7, disk: -1 }, total), {
    cores: 0,
    memory: 10,
    disk: 0,
    gpus: 0,
  });
});

Deno.test("allocationFor() takes the whole worker, or what is asked with one core by default", () => {
  assert.ok(asksForNothing({}));
  assert.deepEqual(allocationFor({}, total), total);
  assert.deepEqual(allocationFor({ disk: 5 }, total), { cores: 1, memory: 0, disk: 5, gpus: 0 });
  assert.deepEqual(allocationFor({ gpus: 1 }, total), { cores: 0, memory: 0, disk: 0, gpus: 1 });
  assert.deepEqual(allocationFor({ cores: 0.5 }, total), {
    cores: 0.5,
    memory: 0,
    disk: 0,
    gpus: 0,
  });
});

Deno.test("fits() and shortfall() compare every resource, beside what is in use", () => {
  assert.ok(fits({ cores: 4, memory: 1000, disk: 2000, gpus: 1 }, { total }));
  assert.ok(!fits({ cores: 5, memory: 0, disk: 0, gpus: 0 }, { total }));
  assert.equal(shortfall({ cores: 1, memory: 0, disk: 0, gpus: 2 }, { total }), "gpus 2 > 1");
  assert.equal(shortfall({ cores: 1, memory: 0, disk: 0, gpus: 0 }, { total }), undefined);
  const inUse = { cores: 3, memory: 0, disk: 0, gpus: 0 };
  assert.ok(fits({ cores: 1, memory: 1000, disk: 0, gpus: 0 }, { total, inUse }));
  assert.ok(!fits({ cores: 2, memory: 0, disk: 0, gpus: 0 }, { total, inUse }));
  assert.equal(
    shortfall({ cores: 2, memory: 0, disk: 0, gpus: 0 }, { total, inUse }),
    "cores 2 > 1",
  );
});

Deno.test("fits() adds in the order the manager always did (fractional cores)", () => {
  // 0.1 + 0.2 > 0.3 in floating point: the same answer as `alloc + inUse <= total`.
  const t = { cores: 0.3, memory: 0, disk: 0, gpus: 0 };
  const u = { cores: 0.2, memory: 0, disk: 0, gpus: 0 };
  const want = { cores: 0.1, memory: 0, disk: 0, gpus: 0 };
  assert.equal(fits(want, { total: t, inUse: u }), want.cores + u.cores <= t.cores);
});

Deno.test("reserve() and release() keep the books in step", () => {
  const books: Resources = noResources();
  const a = { cores: 0.5, memory: 10, disk: 1, gpus: 0 };
  reserve(books, a);
  reserve(books, a);
  release(books, a);
  assert.deepEqual(books, a);
});

Deno.test("ResourceLedger reserves until full and releases", () => {
  const l = new ResourceLedger(total);
  const half = { cores: 2, memory: 500, disk: 0, gpus: 0 };
  assert.ok(l.tryReserve(half));
  assert.ok(l.tryReserve(half));
  assert.ok(!l.tryReserve({ cores: 0, memory: 1, disk: 0, gpus: 0 }));
  assert.ok(l.tryReserve({ cores: 0, memory: 0, disk: 2000, gpus: 1 }));
  l.release(half);
  assert.deepEqual(l.used, { cores: 2, memory: 500, disk: 2000, gpus: 1 });
  assert.throws(() => l.release({ cores: 9, memory: 0, disk: 0, gpus: 0 }), RangeError);
  assert.deepEqual(
    l.used,
    { cores: 2, memory: 500, disk: 2000, gpus: 1 },
    "a refused release changes nothing",
  );
});
