import assert from "node:assert/strict";
import { formatTable, MANAGER_COLUMNS, TASK_COLUMNS, WORKER_COLUMNS } from "./status_table.ts";

Deno.test("formatTable() aligns text left and numbers right", () => {
  const t = formatTable(MANAGER_COLUMNS, [
    {
      project: "long-project-name",
      name: "localhost",
      port: 9123,
      tasks_waiting: 100,
      tasks_running: 2,
      tasks_done: 3,
      workers: 4,
    },
    { project: "p", address: "10.0.0.1", port: 1, tasks_waiting: 0 },
  ]);
  assert.equal(
    t,
    "PROJECT            HOST:PORT       WAITING  RUNNING  DONE  WORKERS\n" +
      "long-project-name  localhost:9123      100        2     3        4\n" +
      "p                  10.0.0.1:1            0        -     -        -\n",
  );
});

Deno.test("WORKER_COLUMNS read our manager's and CCTools' worker_status", () => {
  const ours = {
    hostname: "vm",
    address_port: "127.0.0.1:1",
    state: "BUSY",
    tasks_running: 1,
    total_tasks_complete: 2,
    cores_inuse: 1,
    cores_total: 4,
    memory_inuse: 0,
    memory_total: 100,
    disk_inuse: 0,
    disk_total: 100,
  };
  const cctools = {
    current_task_000_command: "sleep 30",
    current_task_000_id: 2,
    hostname: "vm",
    address_port: "127.0.0.1:2",
    total_tasks_complete: 0,
    cores_inuse: 1,
    cores_total: 1,
    memory_inuse: 100,
    memory_total: 100,
    disk_inuse: 100,
    disk_total: 100,
  };
  // A foreman, as CCTools' managers and ours report it: OS "foreman", its workers summed.
  const foreman = { ...ours, address_port: "127.0.0.1:3", os: "foreman", workers_total: 2 };
  const lines = formatTable(WORKER_COLUMNS, [
    { ...ours, os: "Linux", workers_total: 1 },
    cctools,
    foreman,
  ])
    .trimEnd().split("\n").map((l) => l.split(/\s+/));
  assert.equal(lines[0].at(-1), "WORKERS");
  assert.deepEqual(lines[1], ["vm", "127.0.0.1:1", "BUSY", "1", "2", "1/4", "0/100", "0/100", "-"]);
  assert.deepEqual(lines[2], [
    "vm",
    "127.0.0.1:2",
    "-",
    "1",
    "0",
    "1/1",
    "100/100",
    "100/100",
    "-",
  ]);
  assert.deepEqual(lines[3].slice(1).join(" "), "127.0.0.1:3 BUSY 1 2 1/4 0/100 0/100 2");
});

Deno.test("TASK_COLUMNS keep one line per task and shorten long commands", () => {
  const t = formatTable(TASK_COLUMNS, [
    {
      taskid: 1,
      state: "running",
      priority: "0",
      host: "vm",
      cores: -1,
      command: "echo a\necho b",
    },
    { taskid: 12, state: "WAITING", priority: 0, command: "x".repeat(100) },
  ]);
  const lines = t.trimEnd().split("\n");
  assert.equal(lines.length, 3);
  assert.match(lines[1], /^ 1 {2}RUNNING\s+0 {2}vm\s+-1 {2}echo a echo b$/);
  assert.ok(lines[2].endsWith("x".repeat(57) + "..."));
});
