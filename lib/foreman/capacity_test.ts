import assert from "node:assert/strict";
import { WorkerSum } from "./capacity.ts";
import type { QueueEvent } from "../manager/queue_event.ts";

function worker(id: number, cores: number, memory: number, disk: number) {
  return { id, host: `127.0.0.1:${id}`, hostname: "h", cores, memory, disk, gpus: 0 };
}

function joined(id: number, cores: number, memory: number, disk: number): QueueEvent {
  return { type: "worker-joined", worker: worker(id, cores, memory, disk) };
}

Deno.test("WorkerSum: no workers offers nothing but its disk, and no largest worker", () => {
  const c = new WorkerSum(2000);
  const none = { cores: 0, memory: 0, disk: 0, gpus: 0 };
  assert.deepEqual([c.total, c.smallest, c.largest, c.workers], [
    { ...none, disk: 2000 },
    none,
    none,
    0,
  ]);
});

Deno.test("WorkerSum: largest and smallest are per worker, the disk no more than the foreman's", () => {
  const c = new WorkerSum(2000);
  c.follow(joined(1, 1, 500, 1000));
  c.follow(joined(2, 4, 300, 5000));
  assert.deepEqual(c.total, { cores: 5, memory: 800, disk: 2000, gpus: 0 });
  assert.deepEqual(c.largest, { cores: 4, memory: 500, disk: 2000, gpus: 0 });
  assert.deepEqual(c.smallest, { cores: 1, memory: 300, disk: 1000, gpus: 0 });
  c.follow({
    type: "worker-left",
    worker: worker(2, 4, 300, 5000),
    reason: "lost",
    detail: undefined,
  });
  assert.deepEqual(c.largest, { cores: 1, memory: 500, disk: 1000, gpus: 0 });
  assert.equal(c.workers, 1);
});
