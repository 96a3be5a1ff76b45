import assert from "node:assert/strict";
import { ManualClock } from "../../clock.ts";
import { Task } from "../../task.ts";
import { Core } from "../core.ts";
import type { QueueEvent } from "../queue_event.ts";
import { computeStats } from "../stats.ts";
import { LOG_INTERVAL_MS, QueueLogs } from "./queue_logs.ts";

function setUp(dir: string) {
  const core = new Core();
  const clock = new ManualClock(1_000_000);
  const listeners = new Set<(e: QueueEvent) => void>();
  const extra = { tasksUnfittable: 0, hostsBlocked: [], liveBytesSent: 0, liveBytesReceived: 0 };
  const logs = new QueueLogs({
    core,
    clock,
    stats: () => computeStats(core, extra),
    subscribe: (fn) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    startedAt: 1_000_000,
    log: () => {},
  });
  logs.specifyLog(`${dir}/stats.log`);
  logs.specifyTransactionsLog(`${dir}/tx.log`);
  return { core, clock, logs, emit: (e: QueueEvent) => listeners.forEach((l) => l(e)) };
}

const data = (text: string) => text.split("\n").filter((l) => /^\d/.test(l));

/** The data lines of a file, once it has `n` of them (the flush runs in the background). */
async function linesOnceWritten(path: string, n: number): Promise<string[]> {
  for (let i = 0; i < 500; i++) {
    const lines = data(await Deno.readTextFile(path));
    if (lines.length >= n) return lines;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`Cannot read ${n} lines from '${path}': not written within 5 s`);
}

Deno.test("QueueLogs samples once a second only when a number changed, and flushes then", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { core, clock, logs } = setUp(dir);
    clock.advance(LOG_INTERVAL_MS * 3); // nothing changed: no line
    const t = new Task("true");
    t.id = 1;
    core.transition(t, "ready");
    clock.advance(LOG_INTERVAL_MS); // a line, and both files flushed
    const stats = await linesOnceWritten(`${dir}/stats.log`, 2);
    assert.equal(stats.length, 2);
    assert.equal(stats[1].split(" ")[0], String((1_000_000 + 4 * LOG_INTERVAL_MS) * 1000));
    assert.match(data(await Deno.readTextFile(`${dir}/tx.log`)).at(-1)!, / TASK 1 WAITING /);
    await logs.close();
    const tx = data(await Deno.readTextFile(`${dir}/tx.log`));
    assert.match(tx.at(-1)!, / MANAGER END$/);
    assert.equal(data(await Deno.readTextFile(`${dir}/stats.log`)).length, 3); // the last sample
    assert.equal(core.onMove, undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("QueueLogs counts released workers and failed tasks from events", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { logs, emit } = setUp(dir);
    const worker = {
      id: 1,
      host: "127.0.0.1:9",
      hostname: "h",
      cores: 1,
      memory: 1,
      disk: 1,
      gpus: 0,
    };
    emit({ type: "worker-joined", worker });
    emit({ type: "worker-left", worker, reason: "released", detail: undefined });
    await logs.close();
    const stats = await Deno.readTextFile(`${dir}/stats.log`);
    const header = stats.split("\n")[0].slice(2).split(" ");
    const last = data(stats).at(-1)!.split(" ");
    assert.equal(last[header.indexOf("workers_released")], "1");
    const tx = data(await Deno.readTextFile(`${dir}/tx.log`)).map((l) =>
      l.replace(/^\d+ \d+ /, "")
    );
    assert.deepEqual(tx, [
      "MANAGER START",
      "WORKER worker-1 127.0.0.1:9  CONNECTION",
      'WORKER worker-1 RESOURCES {"memory":[1,"MB"],"disk":[1,"MB"],"cores":[1,"cores"]}',
      "WORKER worker-1 127.0.0.1:9  DISCONNECTION EXPLICIT",
      "MANAGER END",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("QueueLogs refuses a log it cannot open, naming the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const { logs } = setUp(dir);
    assert.throws(
      () => logs.specifyLog("/nonexistent-dir/x.log"),
      /Cannot open log '\/nonexistent-dir\/x\.log'/,
    );
    await logs.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
