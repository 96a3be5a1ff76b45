import assert from "node:assert/strict";
import { DialectChooser, parseProtocolChoice } from "./dialect.ts";

Deno.test("parseProtocolChoice() takes 9, 11 and auto, and names a bad value", () => {
  assert.equal(parseProtocolChoice("9"), 9);
  assert.throws(() => parseProtocolChoice("x"), /option '--protocol': expected 9, 11 or auto/);
});

Deno.test("DialectChooser: auto tries 11 then 9, then names both and starts over", () => {
  const c = new DialectChooser("auto");
  assert.equal(c.first("h:1"), 11);
  assert.deepEqual(c.refused("h:1", 11), { retry: 9 });
  assert.equal(c.first("h:1"), 9);
  const r = c.refused("h:1", 9);
  assert.ok("message" in r && /for protocol 11 and 9: it speaks another protocol/.test(r.message));
  assert.equal(c.first("h:1"), 11);
});

Deno.test("DialectChooser: the catalog's hint comes first, the remembered one before it", () => {
  const c = new DialectChooser("auto");
  assert.equal(c.first("h:1", 9), 9);
  assert.deepEqual(c.refused("h:1", 9), { retry: 11 });
  assert.equal(c.first("h:1", 9), 11);
  c.served("h:1", 11);
  assert.equal(c.first("h:1", 9), 11);
});

Deno.test("DialectChooser: a forced dialect never changes, and its refusal suggests the other", () => {
  const c = new DialectChooser(11);
  assert.equal(c.first("h:1", 9), 11);
  const r = c.refused("h:1", 11);
  assert.ok(
    "message" in r && /protocol 11 \(--protocol 11\).*try --protocol 9 or auto/.test(r.message),
  );
});
