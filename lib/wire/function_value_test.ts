import assert from "node:assert/strict";
import { decodeValue, encodeValue } from "./function_value.ts";

Deno.test("encodeValue() and decodeValue() round-trip JSON values, bytes and undefined", () => {
  const values: unknown[] = [
    null,
    true,
    0,
    -1.5,
    "text with \n and \u2028",
    [],
    [1, "two", [3]],
    { a: { b: [null, false] } },
    new Uint8Array([]),
    new Uint8Array(Array.from({ length: 300 }, (_, i) => i % 256)),
    { bytes: new Uint8Array([9]), nested: [new Uint8Array([1, 2])] },
    undefined,
  ];
  for (const v of values) {
    const text = encodeValue(v);
    assert.ok(!text.includes("\n"), `one line: ${text}`);
    assert.deepEqual(decodeValue(text), v);
  }
});

Deno.test("encodeValue() follows JSON for dates, undefined properties and array holes", () => {
  const when = new Date(0);
  assert.deepEqual(decodeValue(encodeValue({ when, gone: undefined, list: [undefined] })), {
    when: "1970-01-01T00:00:00.000Z",
    list: [null],
  });
  // A Buffer is a Uint8Array: it comes back as one.
  const back = decodeValue(encodeValue(new Uint8Array([1, 2, 3]).subarray(1)));
  assert.deepEqual(back, new Uint8Array([2, 3]));
});

Deno.test("encodeValue() refuses what cannot travel, naming where it is", () => {
  const cases: [unknown, RegExp][] = [
    [10n, /Cannot encode x: it is a BigInt/],
    [{ f() {} }, /x \(at key 'f'\): it is a function/],
    [Symbol("s"), /is a symbol/],
    [new Map(), /is a Map/],
    [new Set(), /is a Set/],
    [new Float64Array(2), /is a Float64Array/],
    [new ArrayBuffer(2), /is an ArrayBuffer/],
    [NaN, /the number NaN/],
    [{ n: Infinity }, /the number Infinity/],
    [{ "$wq:bytes": "AA==" }, /reserved for the tags/],
  ];
  for (const [v, re] of cases) {
    assert.throws(() => encodeValue(v, "x"), (e: unknown) => {
      assert.ok(e instanceof TypeError);
      assert.match(e.message, re);
      return true;
    });
  }
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  assert.throws(() => encodeValue(cycle, "x"), /Cannot encode x: .*circular/i);
});

Deno.test("decodeValue() leaves objects that only look like tags alone", () => {
  assert.deepEqual(decodeValue('{"$wq:bytes":1}'), { "$wq:bytes": 1 });
  assert.deepEqual(decodeValue('{"$wq:bytes":"AA==","x":1}'), { "$wq:bytes": "AA==", x: 1 });
  assert.throws(() => decodeValue("{"), SyntaxError);
});
