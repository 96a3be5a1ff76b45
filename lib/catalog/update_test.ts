import assert from "node:assert/strict";
import { deflateSync } from "node:zlib";
import { formatNvpair, parseNvpair } from "./nvpair.ts";
import { COMPRESSED_MARK, decodeUpdate, UpdateError } from "./update.ts";

const enc = new TextEncoder();
const MAX = 65_536;

function compressed(text: string): Uint8Array {
  const z = deflateSync(enc.encode(text));
  const out = new Uint8Array(z.length + 1);
  out[0] = COMPRESSED_MARK;
  out.set(z, 1);
  return out;
}

function problem(bytes: Uint8Array, max = MAX): string {
  try {
    decodeUpdate(bytes, max);
  } catch (e) {
    assert.ok(e instanceof UpdateError, String(e));
    return e.problem;
  }
  return "accepted";
}

Deno.test("decodeUpdate() reads JSON, 0x1A+zlib JSON and nvpair text", () => {
  const json = '{"type":"wq_master","project":"p","port":9123}';
  assert.deepEqual(decodeUpdate(enc.encode(json), MAX), {
    type: "wq_master",
    project: "p",
    port: 9123,
  });
  assert.deepEqual(decodeUpdate(compressed(json), MAX), {
    type: "wq_master",
    project: "p",
    port: 9123,
  });
  assert.deepEqual(
    decodeUpdate(enc.encode("type wq_master\nproject p\nport 9123\nowner some one\n"), MAX),
    { type: "wq_master", project: "p", port: 9123, owner: "some one" },
  );
  assert.deepEqual(decodeUpdate(compressed("type wq_master\nport 1\n"), MAX), {
    type: "wq_master",
    port: 1,
  });
});

Deno.test("parseNvpair() types values as CCTools does", () => {
  const r = parseNvpair(
    'i 5\nf 2.5\ne 1e3\nn -3\nb true\nz null\na [1,2]\no {"x":1}\ns hello world\nw wq_master\nq "quoted"\n',
  );
  assert.deepEqual(r, {
    i: 5,
    f: 2.5,
    e: 1000,
    n: -3,
    b: true,
    z: null,
    a: [1, 2],
    o: { x: 1 },
    s: "hello world",
    w: "wq_master",
    q: "quoted",
  });
  assert.deepEqual(
    parseNvpair("\n\na 1\r\nb 2\r\n\nc 3\n"),
    { a: 1, b: 2 },
    "CRLF, leading blank lines, one record",
  );
  assert.equal(parseNvpair("tf truex\n").tf, "truex");
});

Deno.test("formatNvpair() writes strings bare and the rest as JSON", () => {
  assert.equal(
    formatNvpair({ name: "localhost", port: 1, ok: true, cats: [{ a: 1 }], s: "two\nlines" }),
    'name localhost\nport 1\nok true\ncats [{"a":1}]\ns two lines\n\n',
  );
});

Deno.test("decodeUpdate() counts garbage as malformed", () => {
  for (
    const bad of [
      "",
      "garbage{",
      "onlykey\n",
      "{bad json",
      "[1,2]",
      "{}",
      '{"a":1} trailing',
      "\n\n\n",
    ]
  ) {
    assert.equal(problem(enc.encode(bad)), "malformed", JSON.stringify(bad));
  }
  assert.equal(problem(new Uint8Array([COMPRESSED_MARK, 1, 2, 3, 4])), "malformed", "bad zlib");
  assert.equal(problem(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), "malformed", "not UTF-8");
  assert.equal(problem(compressed("[1]")), "malformed");
});

Deno.test("decodeUpdate() counts big updates and zlib bombs as oversized", () => {
  const big = JSON.stringify({ type: "x", pad: "a".repeat(2000) });
  assert.equal(problem(enc.encode(big), 1000), "oversized");
  // small when compressed, over the bound once inflated
  const bomb = compressed(big);
  assert.ok(bomb.length < 1000);
  assert.equal(problem(bomb, 1000), "oversized");
  assert.equal(problem(enc.encode(big), 4000), "accepted");
});
