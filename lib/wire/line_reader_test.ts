import assert from "node:assert/strict";
import { ConnectionClosedError, ProtocolError } from "../errors.ts";
import { LineReader } from "./line_reader.ts";

const enc = new TextEncoder();

/** A source that hands out `data` in the given chunk sizes (then the rest). */
function source(data: Uint8Array, sizes: number[] = []) {
  let off = 0;
  let i = 0;
  return {
    read(p: Uint8Array): Promise<number | null> {
      if (off >= data.length) return Promise.resolve(null);
      const want = sizes[i++] ?? data.length;
      const n = Math.min(want, p.length, data.length - off);
      p.set(data.subarray(off, off + n));
      off += n;
      return Promise.resolve(n);
    },
  };
}

const STREAM = enc.encode("put a 5 0644\nhellocmd 3\nabcinfo x y\r\nend\n");

async function parse(r: LineReader): Promise<string[]> {
  const out: string[] = [];
  out.push((await r.readLine())!);
  out.push(new TextDecoder().decode(await r.readExact(5)));
  out.push((await r.readLine())!);
  const chunks: Uint8Array[] = [];
  await r.copyTo(3, { write: (p) => (chunks.push(p.slice()), Promise.resolve(p.length)) });
  out.push(chunks.map((c) => new TextDecoder().decode(c)).join(""));
  out.push((await r.readLine())!, (await r.readLine())!);
  assert.equal(await r.readLine(), null);
  return out;
}

const EXPECTED = ["put a 5 0644", "hello", "cmd 3", "abc", "info x y", "end"];

Deno.test("LineReader reads lines and bodies fed whole", async () => {
  assert.deepEqual(await parse(new LineReader(source(STREAM))), EXPECTED);
});

Deno.test("LineReader reads lines and bodies fed byte by byte", async () => {
  assert.deepEqual(
    await parse(new LineReader(source(STREAM, new Array(STREAM.length).fill(1)))),
    EXPECTED,
  );
});

Deno.test("LineReader reads lines and bodies at random splits", async () => {
  for (let trial = 0; trial < 200; trial++) {
    const sizes = Array.from({ length: STREAM.length }, () => 1 + Math.floor(Math.random() * 7));
    assert.deepEqual(await parse(new LineReader(source(STREAM, sizes))), EXPECTED);
  }
});

Deno.test("LineReader refuses an over-long line, buffered or not", async () => {
  const long = enc.encode("x".repeat(5000) + "\n");
  await assert.rejects(() => new LineReader(source(long)).readLine(), ProtocolError);
  await assert.rejects(
    () => new LineReader(source(long, new Array(5001).fill(13))).readLine(),
    ProtocolError,
  );
  const exact = enc.encode("y".repeat(4095) + "\n");
  assert.equal((await new LineReader(source(exact)).readLine())!.length, 4095);
});

Deno.test("LineReader starts small and grows for lines up to the bound, in pieces or whole", async () => {
  const lines = ["a".repeat(1500), "b".repeat(4095), "short", "c".repeat(3000)];
  const data = enc.encode(lines.map((l) => l + "\n").join(""));
  for (const sizes of [[], new Array(100).fill(700), new Array(20000).fill(1)]) {
    const r = new LineReader(source(data, sizes));
    for (const l of lines) assert.equal(await r.readLine(), l);
    assert.equal(await r.readLine(), null);
  }
});

Deno.test("LineReader reports a stream cut inside a line or a body", async () => {
  await assert.rejects(
    () => new LineReader(source(enc.encode("partial"))).readLine(),
    ConnectionClosedError,
  );
  const r = new LineReader(source(enc.encode("ab")));
  await assert.rejects(() => r.readExact(5), ConnectionClosedError);
  const r2 = new LineReader(source(enc.encode("abc")));
  await assert.rejects(() => r2.copyTo(10, null), ConnectionClosedError);
});

Deno.test("LineReader refuses body lengths out of bounds", async () => {
  const r = new LineReader(source(enc.encode("abc")));
  await assert.rejects(() => r.readExact(-1), ProtocolError);
  await assert.rejects(() => r.readExact(100, 10), ProtocolError);
  await assert.rejects(() => r.copyTo(Number.NaN, null), ProtocolError);
});

Deno.test("LineReader streams a body larger than its buffer", async () => {
  const big = new Uint8Array(1_000_000).map((_, i) => i % 251);
  const data = new Uint8Array(big.length + 4);
  data.set(big);
  data.set(enc.encode("end\n"), big.length);
  const r = new LineReader(source(data, new Array(2000).fill(4099)));
  let off = 0;
  await r.copyTo(big.length, {
    write(p) {
      for (let i = 0; i < p.length; i++) assert.equal(p[i], (off + i) % 251);
      off += p.length;
      return Promise.resolve(p.length);
    },
  });
  assert.equal(off, big.length);
  assert.equal(await r.readLine(), "end");
});

Deno.test("LineReader recognises a TLS record at the start of the stream without waiting for a line", async () => {
  // A TLS ClientHello start; the source then stalls as a TLS client would.
  const hello = new Uint8Array([0x16, 0x03, 0x01, 0x00, 0xd9, 0x01]);
  let sent = false;
  const stalling = {
    read(p: Uint8Array): Promise<number | null> {
      if (sent) return new Promise(() => {});
      sent = true;
      p.set(hello);
      return Promise.resolve(hello.length);
    },
  };
  await assert.rejects(
    new LineReader(stalling).readLine(),
    (e: Error) => e instanceof ProtocolError && /the peer speaks TLS/.test(e.message),
  );
  // Only at the start: the same bytes later in a stream are just bytes.
  const later = new LineReader(source(enc.encode("a\n\x16\x03x\n")));
  assert.equal(await later.readLine(), "a");
  assert.equal(await later.readLine(), "\x16\x03x");
});
