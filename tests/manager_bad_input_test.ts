// Garbage on the manager's port: each bad connection is dropped with one
// clear log line, and the manager, its real worker and its tasks carry on.

import assert from "node:assert/strict";
import { Task, WORK_QUEUE_RESULT_SUCCESS, WorkQueue } from "../mod.ts";
import { LineReader } from "../lib/wire/line_reader.ts";
import { FakeWorker } from "./_fake_worker.ts";
import { startWorker, tempDir, until } from "./_harness.ts";

const enc = new TextEncoder();
const HANDSHAKE = "workqueue 9 fakehost Linux x86_64 8.0.0\nresource workers 1 1 1\n" +
  "resource cores 1 1 1\nresource memory 100 100 100\nresource disk 100 100 100\n" +
  "resource tag 0\ninfo worker-end-time 0\n";

/** Sends bytes on a fresh connection and waits until the manager closes it. */
async function sendAndWaitClose(port: number, data: Uint8Array): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(data).catch(() => 0);
    const buf = new Uint8Array(4096);
    while ((await conn.read(buf).catch(() => null)) !== null) {
      /* drain until the manager closes */
    }
  } finally {
    conn.close();
  }
}

Deno.test("manager drops malformed connections with one log line each and keeps serving", async () => {
  await using dir = await tempDir();
  const warnings: string[] = [];
  await using wq = new WorkQueue({
    port: 0,
    keepaliveTimeout: 0.5, // the first-line timeout, on real time
    logger: (level, m) => level === "warn" && warnings.push(m),
  });

  const cases: [string, Uint8Array, RegExp][] = [
    [
      "garbage",
      crypto.getRandomValues(new Uint8Array(8000)),
      /longer than|not a Work Queue handshake|Cannot/,
    ],
    ["silence", enc.encode("no line end"), /no first line within 0.5 s/],
    ["over-long line", enc.encode("x".repeat(10_000)), /longer than 4096 bytes/],
    [
      "unknown first line",
      enc.encode("hello there\n"),
      /'hello there' is not a Work Queue handshake/,
    ],
    ["wrong protocol", enc.encode("workqueue 8 h Linux x86_64 7.0.0\n"), /protocol 8/],
    [
      "bad resource",
      enc.encode("workqueue 9 h Linux x86_64 8.0.0\nresource cores lots 1 1\n"),
      /'lots' is not a number/,
    ],
    ["bad info", enc.encode("workqueue 9 h Linux x86_64 8.0.0\ninfo lonely\n"), /no value/],
    ["bogus message", enc.encode(HANDSHAKE + "bogus 1 2 3\n"), /'bogus 1 2 3'/],
  ];
  for (const [name, data, pattern] of cases) {
    const before = warnings.length;
    await sendAndWaitClose(wq.port, data);
    await until(() => warnings.length > before, `a log line for ${name}`);
    assert.equal(warnings.length, before + 1, `${name}: ${warnings.slice(before).join(" | ")}`);
    assert.match(warnings.at(-1)!, pattern, name);
  }

  // The manager still serves a real worker.
  await using worker = startWorker(wq.port, {
    cctools: true,
    args: ["--single-shot", "-t", "60", "-s", dir.path],
  });
  const t = new Task("echo still-alive");
  wq.submit(t);
  assert.equal(await wq.wait(60), t);
  assert.equal(t.output, "still-alive\n");
  wq.shutdownWorkers(0);
  await worker.status;
});

Deno.test("a worker that sends a broken result loses its task to a good worker", async () => {
  await using dir = await tempDir();
  const warnings: string[] = [];
  await using wq = new WorkQueue({
    port: 0,
    logger: (level, m) => level === "warn" && warnings.push(m),
  });
  const t = new Task("echo good-result");
  wq.submit(t);

  // A fake worker takes the task, then lies about the stdout length and hangs up.
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: wq.port });
  await conn.write(enc.encode(HANDSHAKE));
  const r = new LineReader(conn);
  let line: string | null;
  while ((line = await r.readLine()) !== null && line !== "end") {
    if (line.startsWith("cmd ")) await r.readExact(Number(line.split(" ")[1]));
  }
  await conn.write(enc.encode("available_results\n"));
  assert.equal(await r.readLine(), "send_results -1");
  await conn.write(enc.encode(`result 0 0 100 5 ${t.id}\nshort`));
  conn.close();

  await until(() => wq.stats.tasksWaiting === 1, "the task to go back to the queue");
  assert.ok(
    warnings.some((w) => /fakehost/.test(w) && /1 task\(s\) go back/.test(w)),
    warnings.join("\n"),
  );
  await using worker = startWorker(wq.port, {
    cctools: true,
    args: ["--single-shot", "-t", "60", "-s", dir.path],
  });
  assert.equal(await wq.wait(60), t);
  assert.equal(t.result, WORK_QUEUE_RESULT_SUCCESS);
  assert.equal(t.output, "good-result\n");
  assert.equal(await wq.wait(0), null, "the task came back once");
  wq.shutdownWorkers(0);
  await worker.status;
});

Deno.test("results for unknown tasks and repeated results are skipped, not kept", async () => {
  const debug: string[] = [];
  await using wq = new WorkQueue({ port: 0, logger: (_level, m) => debug.push(m) });
  const t = new Task("echo real");
  wq.submit(t);
  const w = await FakeWorker.connect(wq.port, { answerChecks: true });
  try {
    assert.equal(await w.expect(/^task \d+$/), `task ${t.id}`);
    await w.expect(/^end$/);
    await w.send("available_results\n");
    assert.equal(await w.expect(/^send_results/), "send_results -1");
    // Many results for a task that is not there, then the real one twice.
    const junk = `result 0 0 5 1 ${t.id + 1000}\njunk\n`.repeat(10_000);
    await w.send(`${junk}result 0 0 6 1 ${t.id}\nfirst\nresult 0 0 7 1 ${t.id}\nsecond\nend\n`);
    assert.equal(await wq.wait(30), t);
    assert.equal(t.output, "first\n");
    assert.ok(
      debug.some((m) => /repeats one in the same reply/.test(m)),
      debug.slice(-5).join("\n"),
    );
    assert.equal(wq.stats.workersConnected, 1, "the worker is still served");
  } finally {
    w.close();
  }
});
