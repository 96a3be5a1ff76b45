// A long output transfer is not mistaken for a dead worker: while a file
// body is on its way, the worker cannot answer a keepalive `check`, so
// bytes moving count as hearing from it. A transfer that stalls still ends
// with the worker removed and its task back in the queue.

import assert from "node:assert/strict";
import { Task, WORK_QUEUE_RESULT_SUCCESS, WorkQueue } from "../mod.ts";
import { LineReader } from "../lib/wire/line_reader.ts";
import { tempDir, until } from "./_harness.ts";

const enc = new TextEncoder();
const HANDSHAKE = "workqueue 9 slowhost Linux x86_64 8.0.0\nresource workers 1 1 1\n" +
  "resource cores 1 1 1\nresource memory 100 100 100\nresource disk 100 100 100\n" +
  "resource tag 0\ninfo worker-end-time 0\n";

/** Connects a fake worker, takes one task and reports it done; returns the `get` name. */
async function takeAndFinish(
  port: number,
  taskId: number,
): Promise<{ conn: Deno.Conn; name: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(enc.encode(HANDSHAKE));
  const r = new LineReader(conn);
  for (;;) {
    const l = await r.readLine();
    assert.ok(l !== null, "the manager closed the connection");
    if (l.startsWith("cmd ")) await r.readExact(Number(l.split(" ")[1]));
    if (l === "end") break;
  }
  await conn.write(enc.encode("available_results\n"));
  assert.equal(await r.readLine(), "send_results -1");
  await conn.write(enc.encode(`result 0 0 0 10 ${taskId}\nend\n`));
  const get = await r.readLine();
  const m = /^get (\S+) 1$/.exec(get ?? "");
  assert.ok(m, `expected a get, got '${get}'`);
  return { conn, name: m[1] };
}

/**
 * A manager that checks every second and waits a second for the answer, and
 * a fake worker that has finished its one task and was asked for its output.
 */
async function startTransfer(dir: string) {
  const warnings: string[] = [];
  const wq = new WorkQueue({
    port: 0,
    hostname: "127.0.0.1",
    keepaliveInterval: 1,
    keepaliveTimeout: 1,
    logger: (level, m) => level === "warn" && warnings.push(m),
  });
  const t = new Task("true").specifyOutputFile(`${dir}/big.out`, "big.out");
  wq.submit(t);
  const { conn, name } = await takeAndFinish(wq.port, t.id);
  return {
    wq,
    t,
    conn,
    name,
    warnings,
    async [Symbol.asyncDispose]() {
      try {
        conn.close();
      } catch {
        // closed by the manager
      }
      await wq.close();
    },
  };
}

async function trickle(conn: Deno.Conn, bytes: number, per: number, ms: number): Promise<void> {
  for (let sent = 0; sent < bytes; sent += per) {
    await conn.write(new Uint8Array(Math.min(per, bytes - sent)).fill(0x61));
    await new Promise((r) => setTimeout(r, ms));
  }
}

Deno.test("an output that takes longer than the keepalive timeouts still arrives", async () => {
  await using dir = await tempDir();
  // The transfer below takes about 5 s.
  await using s = await startTransfer(dir.path);
  const { wq, t, conn, name, warnings } = s;
  const size = 100 * 1024;
  await conn.write(enc.encode(`file ${name} ${size}\n`));
  await trickle(conn, size, 2048, 100); // about 20 KiB/s
  await conn.write(enc.encode("end\n"));
  assert.equal(await wq.wait(30), t, warnings.join("\n"));
  assert.equal(t.result, WORK_QUEUE_RESULT_SUCCESS, t.failure);
  assert.equal((await Deno.stat(`${dir.path}/big.out`)).size, size);
  assert.deepEqual(warnings, []);
});

Deno.test("a transfer that stalls ends with the worker removed and the task requeued", async () => {
  await using dir = await tempDir();
  await using s = await startTransfer(dir.path);
  const { wq, conn, name, warnings } = s;
  await conn.write(enc.encode(`file ${name} 100000\nonly the start`));
  await until(
    () => warnings.some((w) => /slowhost.*no answer to a keepalive check/.test(w)),
    "the stalled worker to be removed",
  );
  await until(() => wq.stats.tasksWaiting === 1, "the task to go back to the queue");
  const left = [];
  for await (const e of Deno.readDir(dir.path)) left.push(e.name);
  assert.deepEqual(left, [], "the partial output is removed");
});
