import assert from "node:assert/strict";
import { parseJx } from "./jx.ts";
import { RateLimiter } from "./rate_limit.ts";
import { recordKey, RecordTable, stampRecord } from "./records.ts";

Deno.test("stampRecord() sets name, lastheardfrom and address first", () => {
  const r = stampRecord(
    { type: "wq_master", port: 5, name: "mine", address: "6.6.6.6", lastheardfrom: 1 },
    "10.1.2.3",
    7_900,
  );
  assert.deepEqual(Object.keys(r), ["name", "lastheardfrom", "address", "type", "port"]);
  assert.equal(r.name, "mine");
  assert.equal(r.address, "10.1.2.3");
  assert.equal(r.lastheardfrom, 7);
  assert.equal(stampRecord({ type: "x" }, "10.1.2.3", 0).name, "10.1.2.3", "no name: the address");
  assert.equal(
    stampRecord({ name: "mine" }, "127.0.0.1", 0).name,
    "localhost",
    "loopback is localhost",
  );
  assert.equal(stampRecord({}, "127.5.0.1", 0).name, "localhost");
});

Deno.test("recordKey() is address:port:name, plus uuid", () => {
  assert.equal(recordKey(stampRecord({ port: 9123 }, "127.0.0.1", 0)), "127.0.0.1:9123:localhost");
  assert.equal(recordKey(stampRecord({ uuid: "u1" }, "10.0.0.1", 0)), "10.0.0.1:0:10.0.0.1:u1");
});

Deno.test("RecordTable replaces a record with the same key and sorts by name", () => {
  const t = new RecordTable({ lifetimeSeconds: 60, maxRecords: 10 });
  assert.equal(t.update(stampRecord({ port: 1, name: "b", v: 1 }, "10.0.0.1", 0), 0), "added");
  assert.equal(t.update(stampRecord({ port: 1, name: "b", v: 2 }, "10.0.0.1", 0), 0), "replaced");
  assert.equal(t.update(stampRecord({ port: 2, name: "a" }, "10.0.0.2", 0), 0), "added");
  assert.equal(t.update(stampRecord({ port: 3, name: "c" }, "10.0.0.1", 0), 0), "added");
  const list = t.list(0);
  assert.deepEqual(list.map((r) => r.record.name), ["a", "b", "c"]);
  assert.equal(list[1].record.v, 2);
  assert.equal(list[1].json, JSON.stringify(list[1].record));
  assert.deepEqual(t.list(0, parseJx("port >= 2")).map((r) => r.record.name), ["a", "c"]);
});

Deno.test("RecordTable expires records after the lifetime, or the record's shorter one", () => {
  const t = new RecordTable({ lifetimeSeconds: 60, maxRecords: 10 });
  t.update(stampRecord({ port: 1 }, "10.0.0.1", 0), 0);
  t.update(stampRecord({ port: 2, lifetime: 10 }, "10.0.0.1", 0), 0);
  t.update(stampRecord({ port: 3, lifetime: 600 }, "10.0.0.1", 0), 0); // cannot ask for more
  assert.equal(t.list(9_999).length, 3);
  assert.deepEqual(t.list(10_000).map((r) => r.record.port), [1, 3]);
  assert.equal(t.list(60_000).length, 0);
  assert.equal(t.expired, 3);
  // an update renews the record
  t.update(stampRecord({ port: 1 }, "10.0.0.1", 60_000), 60_000);
  assert.equal(t.list(119_999).length, 1);
});

Deno.test("RecordTable refuses new keys when full, but still takes replacements", () => {
  const t = new RecordTable({ lifetimeSeconds: 60, maxRecords: 2 });
  assert.equal(t.update(stampRecord({ port: 1 }, "10.0.0.1", 0), 0), "added");
  assert.equal(t.update(stampRecord({ port: 2 }, "10.0.0.1", 0), 0), "added");
  assert.equal(t.update(stampRecord({ port: 3 }, "10.0.0.1", 0), 0), "full");
  assert.equal(t.update(stampRecord({ port: 2, x: 1 }, "10.0.0.1", 0), 0), "replaced");
  // once one expires there is room again
  assert.equal(t.update(stampRecord({ port: 3 }, "10.0.0.1", 60_000), 60_000), "added");
  assert.throws(() => new RecordTable({ lifetimeSeconds: 0, maxRecords: 1 }), RangeError);
});

Deno.test("RateLimiter gives each source a bucket that refills at the rate", () => {
  const limit = new RateLimiter({ ratePerSecond: 2, burst: 3 });
  const allowed = (src: string, now: number, n: number) => {
    let ok = 0;
    for (let i = 0; i < n; i++) if (limit.allow(src, now)) ok++;
    return ok;
  };
  assert.equal(allowed("a", 0, 10), 3);
  assert.equal(allowed("b", 0, 10), 3);
  assert.equal(allowed("a", 500, 10), 1);
  assert.equal(allowed("a", 10_000, 10), 3, "refills only up to the burst");
  assert.throws(() => new RateLimiter({ ratePerSecond: 1, burst: 0 }), RangeError);
});

Deno.test("RateLimiter bounds the sources it tracks", () => {
  const limit = new RateLimiter({ ratePerSecond: 1, burst: 1, maxSources: 3 });
  for (const s of ["a", "b", "c", "d", "e"]) assert.equal(limit.allow(s, 0), true);
  // the oldest were forgotten, so they start with a full bucket again
  assert.equal(limit.allow("a", 0), true);
  assert.equal(limit.allow("e", 0), false);
});
