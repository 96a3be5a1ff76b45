import assert from "node:assert/strict";
import { ConnectionClosedError } from "../errors.ts";
import { FrameWriter } from "./frame_writer.ts";

function sink(maxPerWrite = Infinity) {
  const writes: Uint8Array[] = [];
  const bytes = () => {
    const all = new Uint8Array(writes.reduce((n, p) => n + p.length, 0));
    writes.reduce((off, p) => (all.set(p, off), off + p.length), 0);
    return all;
  };
  return {
    writes,
    bytes,
    text: () => new TextDecoder().decode(bytes()),
    write(p: Uint8Array): Promise<number> {
      const n = Math.min(p.length, maxPerWrite);
      writes.push(p.slice(0, n));
      return Promise.resolve(n);
    },
  };
}

Deno.test("FrameWriter keeps messages and file bodies in queue order", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/f`, "FILEBODY");
    const s = sink(3);
    const w = new FrameWriter(s);
    w.send("put f 8 0644\n");
    w.sendFile(`${dir}/f`, 8);
    w.send("task 1\n");
    w.send(new TextEncoder().encode("end\n"));
    await w.flushed();
    assert.equal(s.text(), "put f 8 0644\nFILEBODYtask 1\nend\n");
    assert.equal(w.bytesWritten, s.text().length);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FrameWriter coalesces messages queued in one tick into one write", async () => {
  const s = sink();
  const w = new FrameWriter(s);
  for (let i = 0; i < 100; i++) w.send(`kill ${i}\n`);
  await w.flushed();
  assert.equal(s.writes.length, 1);
});

Deno.test("FrameWriter fails once when a file shrank and drops later sends", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/f`, "abc");
    const errors: Error[] = [];
    const s = sink();
    const w = new FrameWriter(s, (e) => errors.push(e));
    w.sendFile(`${dir}/f`, 10);
    await w.flushed();
    w.send("after\n");
    await w.flushed();
    assert.equal(errors.length, 1);
    assert.ok(errors[0] instanceof ConnectionClosedError);
    assert.match(errors[0].message, /shrank/);
    assert.ok(!s.text().includes("after"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FrameWriter reports a write error to onError", async () => {
  const errors: Error[] = [];
  const w = new FrameWriter(
    { write: () => Promise.reject(new Error("broken pipe")) },
    (e) => errors.push(e),
  );
  w.send("x\n");
  await w.flushed();
  assert.equal(errors.length, 1);
  assert.equal(w.error?.message, "broken pipe");
});

Deno.test("FrameWriter with defer writes only when its owner flushes, in one write", async () => {
  const s = sink();
  const deferred: FrameWriter[] = [];
  const w = new FrameWriter(s, undefined, { defer: (x) => deferred.push(x) });
  w.send("kill 1\n");
  w.send("task 2\n");
  w.send(new TextEncoder().encode("cmd 0\n"));
  await Promise.resolve();
  assert.equal(s.writes.length, 0);
  assert.deepEqual(deferred, [w]); // asked once, not per message
  w.flush();
  await w.flushed();
  assert.equal(s.writes.length, 1);
  assert.equal(s.text(), "kill 1\ntask 2\ncmd 0\n");
});

Deno.test("FrameWriter streams a file larger than its chunk exactly", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const body = new Uint8Array(600 * 1024).map((_, i) => i % 251);
    await Deno.writeFile(`${dir}/f`, body);
    const s = sink(100_000);
    const w = new FrameWriter(s);
    w.sendFile(`${dir}/f`, body.length);
    w.send("end\n");
    await w.flushed();
    const all = s.bytes();
    assert.deepEqual(all.subarray(0, body.length), body);
    assert.equal(new TextDecoder().decode(all.subarray(body.length)), "end\n");
    assert.equal(w.bytesWritten, body.length + 4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FrameWriter sends files of several chunks exactly, from writers running at once and after a failure", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const size = 2.5 * 1024 * 1024; // more than two chunks, so buffers are reused
    const bodies = [1, 2, 3, 4].map((k) => new Uint8Array(size).map((_, i) => (i * k) % 253));
    for (const [i, b] of bodies.entries()) await Deno.writeFile(`${dir}/f${i}`, b);
    // A file that shrinks fails its writer part-way; its buffers must not be reused.
    await Deno.writeFile(`${dir}/short`, bodies[0].subarray(0, 1024 * 1024 + 5));
    const broken = new FrameWriter(sink(), () => {});
    broken.sendFile(`${dir}/short`, size);
    const sinks = [sink(300_000), sink(1 << 20)];
    const writers = sinks.map((s) => new FrameWriter(s));
    writers[0].sendFile(`${dir}/f0`, size);
    writers[1].sendFile(`${dir}/f1`, size);
    writers[0].sendFile(`${dir}/f2`, size);
    writers[1].sendFile(`${dir}/f3`, size);
    await Promise.all([broken.flushed(), ...writers.map((w) => w.flushed())]);
    assert.ok(broken.error instanceof ConnectionClosedError);
    const got = sinks.map((s) => s.bytes());
    assert.deepEqual(got[0].subarray(0, size), bodies[0]);
    assert.deepEqual(got[0].subarray(size), bodies[2]);
    assert.deepEqual(got[1].subarray(0, size), bodies[1]);
    assert.deepEqual(got[1].subarray(size), bodies[3]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
