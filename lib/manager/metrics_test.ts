import assert from "node:assert/strict";
import { Core } from "./core.ts";
import { renderMetrics } from "./metrics.ts";
import { computeStats } from "./stats.ts";
import { WorkerInfo } from "./worker_info.ts";

function render(core: Core, name?: string): string {
  const stats = computeStats(core, {
    tasksUnfittable: 0,
    hostsBlocked: [],
    liveBytesSent: 0,
    liveBytesReceived: 0,
  });
  return renderMetrics({
    core,
    stats,
    name,
    startedAt: 1_500,
    traffic: (id) => ({ sent: id * 10, received: id * 20 }),
  });
}

Deno.test("renderMetrics() escapes label values and labels each ready worker", () => {
  const core = new Core();
  const w = new WorkerInfo(3, "127.0.0.1:4000");
  w.hostname = 'odd"host\\name\n';
  w.pending.clear();
  core.workers.set(3, w);
  const pending = new WorkerInfo(4, "127.0.0.1:4001"); // still in its handshake: no series
  core.workers.set(4, pending);
  const text = render(core, 'my "project"');
  assert.match(
    text,
    /^wq_info\{project="my \\"project\\"",implementation="wq-deno",version="[^"]+"\} 1$/m,
  );
  const label = '{worker="127.0.0.1:4000",hostname="odd\\"host\\\\name\\n"}';
  assert.ok(text.includes(`wq_worker_tasks_running${label} 0\n`), text);
  assert.ok(text.includes(`wq_worker_sent_bytes_total${label} 30\n`));
  assert.ok(text.includes(`wq_worker_received_bytes_total${label} 60\n`));
  assert.ok(!text.includes("4001"));
  assert.match(text, /^wq_start_time_seconds 1\.5$/m);
  assert.match(text, /^wq_workers_connected 1$/m);
  assert.match(text, /^wq_workers_init 1$/m);
});

Deno.test("renderMetrics() gives HELP and TYPE once per family, _total only on counters", () => {
  const text = render(new Core());
  const types = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)];
  const names = types.map((m) => m[1]);
  assert.equal(new Set(names).size, names.length);
  for (const [, name, type] of types) {
    assert.equal(name.endsWith("_total"), type === "counter", name);
    assert.ok(text.includes(`# HELP ${name} `), name);
  }
});
