import assert from "node:assert/strict";
import { encodeWorkerMessage, parseWorkerMessage } from "./worker_messages.ts";
import { encodeTaskMeasured, parseTaskMeasured, type TaskMeasured } from "./task_measured.ts";

Deno.test("info task-measured round-trips through encodeWorkerMessage() and parseWorkerMessage()", () => {
  const reports: TaskMeasured[] = [
    { taskId: 0, measured: { method: "proc" } },
    {
      taskId: 12,
      measured: {
        method: "cgroup",
        memoryMB: 104.5,
        diskMB: 0.25,
        cpuSeconds: 1.5,
        wallSeconds: 2,
        cores: 0.75,
      },
    },
    {
      taskId: 3,
      measured: { method: "proc", memoryMB: 300, wallSeconds: 0.5 },
      exhausted: { resource: "memory", limitMB: 100, peakMB: 300 },
    },
    {
      taskId: 4,
      measured: { method: "proc", diskMB: 55 },
      exhausted: { resource: "disk", limitMB: 50, peakMB: 55 },
    },
  ];
  for (const r of reports) {
    const line = encodeWorkerMessage({ kind: "task_measured", ...r });
    assert.equal(line, encodeTaskMeasured(r));
    assert.deepEqual(parseWorkerMessage(line.slice(0, -1)), { kind: "task_measured", ...r });
  }
});

Deno.test("a malformed info task-measured is a plain info line, never an error", () => {
  for (
    const line of [
      "info task-measured x method=proc",
      "info task-measured 1 method=guess",
      "info task-measured 1 method=proc memory=-1",
      "info task-measured 1 method=proc memory=1e9",
      "info task-measured 1 method=proc exhausted=memory limit=1",
      "info task-measured 1 method=proc exhausted=cores limit=1 peak=2",
    ]
  ) {
    const m = parseWorkerMessage(line);
    assert.equal(m?.kind, "info", line);
    assert.equal(parseTaskMeasured(line.split(" ")), undefined, line);
  }
});

Deno.test("encodeTaskMeasured() refuses a bad task id or number, naming it", () => {
  assert.throws(
    () => encodeTaskMeasured({ taskId: -1, measured: { method: "proc" } }),
    /task id is '-1'/,
  );
  assert.throws(
    () => encodeTaskMeasured({ taskId: 1, measured: { method: "proc", memoryMB: NaN } }),
    /memory is 'NaN'/,
  );
});
