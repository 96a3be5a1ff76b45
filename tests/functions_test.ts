// Function calls (docs/functions.md) over loopback with our real worker: the
// library loads once per worker and keeps its state, errors and permission
// denials come back in `failure`, a crashed library restarts and its calls
// complete, calls and shell tasks share the cores; CCTools' worker never
// gets a call.

import assert from "node:assert/strict";
import { FunctionCall, FunctionCallError, Task, WorkQueue } from "../mod.ts";
import { ROOT, startWorker, tempDir, until, waitAll } from "./_harness.ts";

const PROBE = `${ROOT}/tests/fixtures/functions/probe.ts`;

/** The most spans (start, end) that overlap at one instant; ends sort before starts. */
function mostAtOnce(spans: [number, number][]): number {
  const events = spans.flatMap(([a, b]) => [[a, 1], [b, -1]]).sort((x, y) =>
    x[0] - y[0] || x[1] - y[1]
  );
  let now = 0;
  let most = 0;
  for (const [, d] of events) most = Math.max(most, now += d);
  return most;
}

function worker(port: number, dir: string, cores = 2) {
  return startWorker(port, { args: ["--single-shot", "--cores", String(cores), "-s", dir] });
}

Deno.test("a library loads once per worker, keeps its state, and returns values and errors", async () => {
  await using dir = await tempDir();
  await using wq = new WorkQueue({ port: 0 });
  const info = wq.installLibrary({ name: "probe", module: PROBE, slots: 2 });
  assert.deepEqual(info.files.toSorted(), ["helper.ts", "probe.ts"]); // the import went with it
  const withData = wq.installLibrary({ name: "data", module: PROBE, files: ["table.json"] });
  assert.deepEqual(withData.files, ["probe.ts", "helper.ts", "table.json"]);
  await using _w = worker(wq.port, dir.path);
  const bumps = Array.from({ length: 20 }, () => new FunctionCall<number>("probe", "bump"));
  for (const c of bumps) wq.submit(c);
  const done = await waitAll(wq, bumps.length);
  assert.equal(done.size, 20);
  const seen = bumps.map((c) => {
    assert.equal(c.ok, true, c.failure ?? "");
    assert.equal(c.measured?.method, "wall", "a call is not measured on the worker");
    return c.value!;
  });
  assert.deepEqual(seen.toSorted((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
  assert.equal(await wq.run(new FunctionCall("probe", "loads")), 1);
  assert.equal(await wq.run(new FunctionCall("probe", "add", 2, 3)), 5);
  assert.equal(await wq.run(new FunctionCall("probe", "double", 21)), 42);
  assert.equal(await wq.run(new FunctionCall("data", "table", "answer")), 42);
  const bytes = new Uint8Array([0, 1, 254, 255]);
  assert.deepEqual(await wq.run(new FunctionCall("probe", "echo", { bytes, n: null })), {
    bytes,
    n: null,
  });
  assert.equal(await wq.run(new FunctionCall("probe", "echo")), undefined);
  // A throw: run() rejects; the completed call carries the message and stack.
  await assert.rejects(
    wq.run(new FunctionCall("probe", "fail", "out of range")),
    (e: unknown) => {
      assert.ok(e instanceof FunctionCallError);
      assert.equal(e.error?.name, "RangeError");
      assert.match(e.message, /probe\.fail failed: RangeError: out of range/);
      return true;
    },
  );
  const thrown = new FunctionCall("probe", "fail", "no luck");
  wq.submit(thrown);
  assert.equal(await wq.wait(60), thrown);
  assert.equal(thrown.ok, false);
  assert.equal(thrown.exitCode, 1);
  assert.match(thrown.failure!, /^RangeError: no luck\n\s+at Object\.fail \(.*probe\.ts:\d+:\d+\)/);
  // A function the module does not export.
  await assert.rejects(wq.run(new FunctionCall("probe", "nothing")), /exports no such function/);
  assert.equal(await wq.run(new FunctionCall("probe", "loads")), 1, "still the one load");
});

Deno.test("a call's own input and output files are in its directory (this.dir)", async () => {
  await using dir = await tempDir();
  await using wq = new WorkQueue({ port: 0 });
  wq.installLibrary({ name: "probe", module: PROBE, slots: 2 });
  await using _w = worker(wq.port, `${dir.path}`);
  const calls = ["one", "two", "three"].map((word, i) =>
    new FunctionCall<number>("probe", "shout", "!")
      .specifyInputBuffer(word, "in.txt", { cache: false })
      .specifyOutputFile(`${dir.path}/out-${i}.txt`, "out.txt")
  );
  for (const c of calls) wq.submit(c);
  await waitAll(wq, calls.length);
  assert.deepEqual(calls.map((c) => c.failure ?? c.value), [3, 3, 5]);
  assert.deepEqual(
    await Promise.all([0, 1, 2].map((i) => Deno.readTextFile(`${dir.path}/out-${i}.txt`))),
    ["ONE!", "TWO!", "THREE!"],
  );
});

Deno.test("a crashed library is restarted and its calls complete", async () => {
  await using dir = await tempDir();
  await using wq = new WorkQueue({ port: 0 });
  wq.installLibrary({ name: "probe", module: PROBE, slots: 3 });
  await using _w = worker(wq.port, dir.path, 3);
  const crash = new FunctionCall("probe", "crashOnce");
  const naps = Array.from({ length: 2 }, () => new FunctionCall("probe", "nap", 300));
  for (const c of [crash, ...naps]) wq.submit(c);
  await waitAll(wq, 3);
  assert.equal(crash.value, "survived", crash.failure ?? "");
  assert.ok(crash.attempts >= 1, "the crashed call was retried");
  for (const c of naps) assert.equal(c.ok, true, c.failure ?? "");
  assert.equal(await wq.run(new FunctionCall("probe", "loads")), 2, "loaded again once");
  assert.equal(await wq.run(new FunctionCall("probe", "bump")), 1, "a new process");
});

Deno.test("a library may not read /etc/passwd or open a socket unless its permissions say so", async () => {
  await using dir = await tempDir();
  await using wq = new WorkQueue({ port: 0 });
  wq.installLibrary({ name: "probe", module: PROBE });
  wq.installLibrary({
    name: "trusted",
    module: PROBE,
    permissions: { read: ["/etc/passwd"], net: ["127.0.0.1"] },
  });
  assert.throws(
    () => wq.installLibrary({ name: "x", module: PROBE, permissions: { ffi: true } as never }),
    /permission 'ffi'/,
  );
  await using _w = worker(wq.port, dir.path);
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  const read = new FunctionCall("probe", "readPasswd");
  const net = new FunctionCall("probe", "connect", port);
  wq.submit(read);
  wq.submit(net);
  await waitAll(wq, 2);
  assert.equal(read.ok, false);
  assert.equal(read.error?.name, "NotCapable");
  assert.match(read.failure!, /Requires read access to "\/etc\/passwd".*--allow-read/);
  assert.equal(net.ok, false);
  assert.match(net.failure!, /Requires net access to "127\.0\.0\.1:\d+".*--allow-net/);
  // Granted: the same functions work.
  assert.match(await wq.run(new FunctionCall<string>("trusted", "readPasswd")), /^root:/);
  const accepted = listener.accept();
  assert.equal(await wq.run(new FunctionCall("trusted", "connect", port)), "connected");
  (await accepted).close();
});

Deno.test("calls and shell tasks share a worker's cores", async () => {
  await using dir = await tempDir();
  await using wq = new WorkQueue({ port: 0 });
  wq.installLibrary({ name: "probe", module: PROBE, slots: 4 });
  await using _w = worker(wq.port, dir.path, 2);
  const calls = Array.from(
    { length: 6 },
    () => new FunctionCall<[number, number]>("probe", "nap", 200),
  );
  const tasks = Array.from(
    { length: 6 },
    () => new Task("date +%s%3N; sleep 0.2; date +%s%3N").specifyCores(1),
  );
  for (let i = 0; i < 6; i++) {
    wq.submit(calls[i]);
    wq.submit(tasks[i]);
  }
  await waitAll(wq, 12);
  const spans: [number, number][] = [];
  for (const c of calls) spans.push(c.value!);
  for (const t of tasks) {
    assert.equal(t.ok, true, t.output);
    const [a, b] = t.output.trim().split("\n").map(Number);
    spans.push([a, b]);
  }
  const most = mostAtOnce(spans);
  assert.ok(most <= 2, `${most} ran at once on 2 cores`);
  assert.ok(most >= 1);
});

Deno.test("a library runs at most `slots` calls at once", async () => {
  await using dir = await tempDir();
  await using wq = new WorkQueue({ port: 0 });
  wq.installLibrary({ name: "probe", module: PROBE, slots: 2 });
  await using _w = worker(wq.port, dir.path, 4);
  const calls = Array.from(
    { length: 6 },
    () => new FunctionCall<[number, number]>("probe", "nap", 150),
  );
  for (const c of calls) wq.submit(c);
  await waitAll(wq, calls.length);
  const most = mostAtOnce(calls.map((c) => c.value!));
  assert.ok(most >= 1 && most <= 2, `${most} ran at once with 2 slots on 4 cores`);
});

Deno.test("CCTools' worker never gets a call; explain() says why", async () => {
  await using dir = await tempDir();
  await using wq = new WorkQueue({ port: 0 });
  wq.installLibrary({ name: "probe", module: PROBE });
  await using _w = startWorker(wq.port, {
    cctools: true,
    args: ["--single-shot", "-t", "60", "--cores", "1", "-s", dir.path],
  });
  const call = new FunctionCall("probe", "add", 1, 2);
  wq.submit(call);
  const shell = new Task("echo shell").specifyCores(1);
  wq.submit(shell);
  assert.equal(await wq.wait(60), shell, "the shell task ran on it");
  await until(() => wq.stats.workersConnected === 1, "the worker");
  assert.equal(call.state, "ready");
  assert.match(
    wq.explain(call.id),
    /waits: it is a function call, and none of the 1 connected worker\(s\) runs function calls/,
  );
  assert.equal(wq.cancelById(call.id), call);
});
