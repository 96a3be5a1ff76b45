// Our manager with a CCTools foreman (`work_queue_worker --foreman`) on the
// other end: its handshake says OS `foreman` and `resource workers 0` while no
// worker has joined it, and its later resource reports (the sums of its
// workers') change what it may take. tests/foreman_cctools_test.ts runs
// Debian's foreman itself.

import assert from "node:assert/strict";
import { Task } from "../task.ts";
import { FrameWriter } from "../wire/frame_writer.ts";
import { LineReader } from "../wire/line_reader.ts";
import { testReactor } from "./_recording_comm.ts";
import { onSchedulePass, onSubmit } from "./reactor_tasks.ts";
import { onWorkerConnected, onWorkerUpdate } from "./reactor_workers.ts";
import { managerRecord, statusReply } from "./status.ts";
import { type ConnHost, WorkerConn } from "./worker_conn.ts";
import { WorkerInfo } from "./worker_info.ts";

/** What Debian's foreman (CCTools 8.0.0, protocol 9) sent our manager with no worker of its own. */
const HANDSHAKE = `workqueue 9 vm foreman x86_64 8.0.0
info worker-id worker-15d0bab845ba076d23370640812b7973
alive
resource workers 0 0 0
resource disk 75268 0 0
resource memory 0 0 0
resource gpus 0 0 0
resource cores 0 0 0
resource tag 0
info end_of_resource_update 0
info workers_joined 0
info workers_removed 0
info tasks_waiting 0
info tasks_on_workers 0
info tasks_running 0
info time_workers_execute_exhaustion 0
info bytes_sent 0
info worker-end-time 0
`;

/**
 * Its next report, once two workers of 1 core, 200 MB memory and 500 MB disk
 * joined it: total, smallest (always 0: CCTools sums from zero) and largest.
 */
const TWO_WORKERS = `alive
resource workers 2 0 1
resource disk 75268 0 500
resource memory 400 0 200
resource gpus 0 0 0
resource cores 2 0 1
resource tag 0
info end_of_resource_update 0
info workers_joined 2
`;

function readerOf(text: string): LineReader {
  let bytes: Uint8Array | null = new TextEncoder().encode(text);
  return new LineReader({
    read(p) {
      if (bytes === null || bytes.length === 0) return Promise.resolve(null);
      const n = Math.min(p.length, 7, bytes.length); // in small pieces
      p.set(bytes.subarray(0, n));
      bytes = bytes.subarray(n);
      return Promise.resolve(n);
    },
  });
}

Deno.test("WorkerConn joins a foreman without workers, and books its later reports", async () => {
  const info = new WorkerInfo(1, "127.0.0.1:5000");
  const seen: string[] = [];
  const host: ConnHost = {
    onWorkerUpdate: (w) =>
      seen.push(`ready=${w.ready} workers=${w.workers} cores=${w.total.cores}/${w.largest.cores}`),
    taskOn: () => undefined,
    outputNames: () => [],
    onTaskReceiving: () => {},
    onTaskResult: () => {},
    onCacheUpdate: () => {},
    onCacheInvalid: () => {},
    log: () => {},
  };
  const reader = readerOf(HANDSHAKE + TWO_WORKERS);
  const writer = new FrameWriter({ write: (p) => Promise.resolve(p.length) });
  const conn = new WorkerConn(info, { reader, writer }, host, { maxStdout: 1024 });
  await conn.run((await reader.readLine())!);
  assert.deepEqual(seen, [
    "ready=true workers=0 cores=0/0", // the handshake: it joins, offering nothing
    "ready=true workers=2 cores=2/1", // its workers came: the sums, and the largest
  ]);
  assert.equal(info.foreman, true);
  assert.equal(info.runsTasks, true);
  assert.deepEqual(info.total, { cores: 2, memory: 400, disk: 75268, gpus: 0 });
  assert.deepEqual(info.box, { cores: 1, memory: 200, disk: 500, gpus: 0 });
});

function foreman(id: number): WorkerInfo {
  const w = new WorkerInfo(id, `127.0.0.1:${5000 + id}`);
  [w.hostname, w.os, w.arch] = ["fm", "foreman", "x86_64"];
  w.workers = 0;
  w.pending.clear();
  return w;
}

Deno.test("a foreman gets tasks once it has workers: each fits one of them, and a whole-worker task takes its largest", () => {
  const { r, comm } = testReactor();
  const w = foreman(1);
  onWorkerConnected(r, w);
  onWorkerUpdate(r, w);
  assert.deepEqual(comm.eventNames(), ["worker-joined 1"]);
  const whole = new Task("whole");
  const one = new Task("one").specifyCores(1);
  const two = new Task("two").specifyCores(2);
  const more = new Task("more").specifyCores(1);
  for (const t of [whole, one, two, more]) onSubmit(r, t);
  onSchedulePass(r);
  assert.equal(comm.staging.length, 0, "a foreman without workers gets no task");
  assert.equal(r.fit.count(), 0, "nor is any task too large for it");

  w.workers = 2;
  w.total = { cores: 2, memory: 400, disk: 1000, gpus: 0 };
  w.largest = { cores: 1, memory: 200, disk: 500, gpus: 0 };
  onWorkerUpdate(r, w);
  onSchedulePass(r);
  assert.deepEqual(
    comm.staging.map((s) => [s.task.command, s.dispatch.alloc]),
    [
      ["whole", { cores: 1, memory: 200, disk: 500, gpus: 0 }],
      ["one", { cores: 1, memory: 0, disk: 0, gpus: 0 }],
    ],
  );
  assert.equal(two.state, "ready");
  assert.equal(r.fit.unfit.get(two), `task ${two.id} needs 2 cores; the largest worker has 1`);
  assert.equal(more.state, "ready", "both of its cores are taken");
  assert.equal(r.core.counters.workersJoined, 1);
});

Deno.test("status replies show a foreman's OS and workers, and the manager's uplink", () => {
  const { r } = testReactor();
  const w = foreman(1);
  w.workers = 3;
  onWorkerConnected(r, w);
  onWorkerUpdate(r, w);
  const facts = { name: "p", port: 9123, startedAt: 0, ssl: false };
  const [entry] = JSON.parse(statusReply("worker_status", r.core, facts));
  assert.equal(entry.os, "foreman");
  assert.equal(entry.workers_total, 3);
  assert.equal(managerRecord(r.core, facts).my_manager, undefined);
  const rec = managerRecord(r.core, { ...facts, uplink: "10.0.0.1:9000" });
  assert.equal(rec.my_manager, "10.0.0.1:9000");
});
