import assert from "node:assert/strict";
import { detectResources, fits, normalizeRequest, ResourceLedger, shortfall } from "./resources.ts";

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
  assert.deepEqual(normalizeRequest({ memory: 10, disk: -1 }, total), {
    cores: 0,
    memory: 10,
    disk: 0,
    gpus: 0,
  });
});

Deno.test("fits() and shortfall() compare every resource", () => {
  assert.ok(fits({ cores: 4, memory: 1000, disk: 2000, gpus: 1 }, total));
  assert.ok(!fits({ cores: 5, memory: 0, disk: 0, gpus: 0 }, total));
  assert.equal(shortfall({ cores: 1, memory: 0, disk: 0, gpus: 2 }, total), "gpus 2 > 1");
  assert.equal(shortfall({ cores: 1, memory: 0, disk: 0, gpus: 0 }, total), undefined);
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
});

Deno.test("detectResources() measures the machine and honours overrides", () => {
  const r = detectResources(Deno.cwd());
  assert.ok(r.cores >= 1 && r.memory > 0 && r.disk >= 0 && r.gpus >= 0);
  assert.deepEqual(detectResources(Deno.cwd(), { cores: 3, memory: 7, disk: 9, gpus: 2 }), {
    cores: 3,
    memory: 7,
    disk: 9,
    gpus: 2,
  });
});
