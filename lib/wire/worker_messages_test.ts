import assert from "node:assert/strict";
import { ProtocolError } from "../errors.ts";
import {
  encodeCacheInvalid,
  encodeHandshake,
  encodeResourceReport,
  encodeWorkerMessage,
  isSignalName,
  parseWorkerMessage,
  type WorkerMessage,
} from "./worker_messages.ts";

Deno.test("encodeHandshake() matches the real worker's, line for line (trace 01)", () => {
  const text = encodeHandshake(
    {
      hostname: "vm",
      os: "Linux",
      arch: "x86_64",
      workerId: "worker-1cea708ade0363038827c1a3df75344f",
    },
    { cores: 1, memory: 512, disk: 1000, gpus: 0 },
  );
  assert.equal(
    text,
    "workqueue 9 vm Linux x86_64 8.0.0\n" +
      "info worker-id worker-1cea708ade0363038827c1a3df75344f\n" +
      "alive\n" +
      "resource workers 1 1 1\n" +
      "resource disk 1000 1000 1000\n" +
      "resource memory 512 512 512\n" +
      "resource gpus 0 0 0\n" +
      "resource cores 1 1 1\n" +
      "resource tag 0\n" +
      "info end_of_resource_update 0\n" +
      "info tasks_running 0\n" +
      "info worker-end-time 0\n",
  );
});

Deno.test("the handshake reads back as the identity and resources it was made from", () => {
  const total = { cores: 8, memory: 16000, disk: 50000, gpus: 2 };
  const lines = encodeHandshake(
    { hostname: "node-1.example", os: "Linux", arch: "aarch64", workerId: "worker-ab" },
    total,
  ).split("\n").slice(0, -1);
  const msgs = lines.map((l) => parseWorkerMessage(l));
  assert.deepEqual(msgs[0], {
    kind: "workqueue",
    protocol: 9,
    hostname: "node-1.example",
    os: "Linux",
    arch: "aarch64",
    version: "8.0.0",
  });
  const got: Record<string, number> = {};
  for (const m of msgs) if (m?.kind === "resource") got[m.name] = m.total;
  assert.deepEqual(got, { workers: 1, ...total });
  assert.deepEqual(msgs.find((m) => m?.kind === "resource_tag"), { kind: "resource_tag", tag: 0 });
  assert.deepEqual(msgs.find((m) => m?.kind === "info" && m.field === "worker-id"), {
    kind: "info",
    field: "worker-id",
    value: "worker-ab",
  });
  assert.match(encodeResourceReport(total, 7), /\nresource tag 7\n/);
});

Deno.test("encodeResourceReport() gives a foreman's totals, smallest and largest worker (CCTools' manager sizes whole-worker tasks by largest)", () => {
  const text = encodeResourceReport({ cores: 3, memory: 1500, disk: 2000, gpus: 0 }, 9, {
    workers: 2,
    smallest: { cores: 1, memory: 500, disk: 1000, gpus: 0 },
    largest: { cores: 2, memory: 1000, disk: 1000, gpus: 0 },
  });
  assert.equal(
    text,
    "alive\nresource workers 2 1 1\nresource disk 2000 1000 1000\n" +
      "resource memory 1500 500 1000\nresource gpus 0 0 0\nresource cores 3 1 2\n" +
      "resource tag 9\ninfo end_of_resource_update 0\n",
  );
  const none = { cores: 0, memory: 0, disk: 0, gpus: 0 };
  const empty = encodeResourceReport({ ...none, disk: 2000 }, 0, {
    workers: 0,
    smallest: none,
    largest: none,
  });
  assert.match(
    empty,
    /\nresource workers 0 0 0\nresource disk 2000 0 0\n.*resource cores 0 0 0\n/s,
  );
  const msgs = text.split("\n").filter((l) => l).map((l) => parseWorkerMessage(l));
  assert.deepEqual(msgs.find((m) => m?.kind === "resource" && m.name === "cores"), {
    kind: "resource",
    name: "cores",
    total: 3,
    smallest: 1,
    largest: 2,
  });
});

Deno.test("every worker message round-trips", () => {
  const msgs: WorkerMessage[] = [
    {
      kind: "workqueue",
      protocol: 9,
      hostname: "h",
      os: "Linux",
      arch: "x86_64",
      version: "8.0.0 DEVELOPMENT",
    },
    { kind: "alive" },
    { kind: "available_results" },
    { kind: "resource", name: "cores", total: 4, smallest: 1, largest: 4 },
    { kind: "resource", name: "memory", total: 0.5, smallest: 0, largest: 1 },
    { kind: "resource_tag", tag: 12 },
    { kind: "info", field: "tasks_running", value: "3" },
    { kind: "info", field: "idle-disconnecting", value: "900" },
    { kind: "feature", name: "gpu model x" },
    { kind: "feature", name: "100%" },
    { kind: "task_signal", taskId: 7, signal: "SIGKILL" },
    { kind: "task_signal", taskId: 0, signal: "SIGRTMIN" },
    { kind: "task_signal", taskId: 2 ** 40, signal: "SIG64" },
    { kind: "task_signal", taskId: Number.MAX_SAFE_INTEGER, signal: "SIGTERM" },
    {
      kind: "cache_update",
      name: "url-0-3db6155f8aa8e22f395bfc65b3375f65",
      size: 17,
      transferUsec: 34748,
    },
    { kind: "cache_invalid", name: "cmd-7-752c5a422bde7f7140ae3d6669e08d53", length: 98 },
  ];
  for (const m of msgs) {
    const line = encodeWorkerMessage(m);
    assert.ok(line.endsWith("\n") && !line.slice(0, -1).includes("\n"), line);
    assert.deepEqual(parseWorkerMessage(line.slice(0, -1)), m, line);
  }
});

Deno.test("parseWorkerMessage() passes other lines by and refuses malformed messages", () => {
  for (const line of ["result 0 0 0 0 1", "end", "file a 1", "missing a 2", "", "bogus"]) {
    assert.equal(parseWorkerMessage(line), undefined, line);
  }
  assert.deepEqual(parseWorkerMessage("info worker-id a b"), {
    kind: "info",
    field: "worker-id",
    value: "a",
  });
  for (
    const line of [
      "info tasks_running",
      "info",
      "resource cores 4",
      "resource cores x 1 1",
      "resource cores -1 1 1",
      "resource tag x",
      "resource tag",
      "workqueue 9 h Linux",
      "workqueue nine h Linux x86_64 8.0.0",
    ]
  ) {
    assert.throws(() => parseWorkerMessage(line), ProtocolError, line);
  }
});

Deno.test("encodeWorkerMessage() writes a task's signal as an info line", () => {
  assert.equal(
    encodeWorkerMessage({ kind: "task_signal", taskId: 7, signal: "SIGKILL" }),
    "info task-signal 7 SIGKILL\n",
  );
  for (const taskId of [-1, 1.5, NaN, 2 ** 60]) {
    assert.throws(
      () => encodeWorkerMessage({ kind: "task_signal", taskId, signal: "SIGKILL" }),
      RangeError,
      String(taskId),
    );
  }
  for (const signal of ["", "KILL", "sigkill", "SIG", "SIGKILL 1", "SIGKILL\nalive", "9"]) {
    assert.throws(
      () => encodeWorkerMessage({ kind: "task_signal", taskId: 1, signal }),
      TypeError,
      signal,
    );
  }
});

Deno.test("parseWorkerMessage() turns a malformed task-signal into a plain info line, never an error", () => {
  assert.deepEqual(parseWorkerMessage("info task-signal 3 SIGTERM extra"), {
    kind: "task_signal",
    taskId: 3,
    signal: "SIGTERM",
  });
  const cases: [string, string][] = [
    ["info task-signal", ""],
    ["info task-signal 7", "7"],
    ["info task-signal SIGKILL", "SIGKILL"],
    ["info task-signal 7 9", "7 9"],
    ["info task-signal 7 sigkill", "7 sigkill"],
    ["info task-signal 7 KILL", "7 KILL"],
    ["info task-signal 7 SIG", "7 SIG"],
    ["info task-signal 7 SIG-KILL", "7 SIG-KILL"],
    ["info task-signal -7 SIGKILL", "-7 SIGKILL"],
    ["info task-signal 07 SIGKILL", "07 SIGKILL"],
    ["info task-signal 1.5 SIGKILL", "1.5 SIGKILL"],
    ["info task-signal 9007199254740992 SIGKILL", "9007199254740992 SIGKILL"],
    ["info task-signal 12345678901234567 SIGKILL", "12345678901234567 SIGKILL"],
    ["info task-signal  7 SIGKILL", " 7 SIGKILL"],
  ];
  for (const [line, value] of cases) {
    assert.deepEqual(parseWorkerMessage(line), { kind: "info", field: "task-signal", value }, line);
  }
});

Deno.test("isSignalName() takes SIG and capitals or digits only", () => {
  for (const name of ["SIGKILL", "SIGTERM", "SIGRTMIN", "SIG64", "SIGUSR1"]) {
    assert.equal(isSignalName(name), true, name);
  }
  for (const name of ["", "SIG", "KILL", "sigkill", "SIGkill", "SIG KILL", "SIGKILL\n", "9"]) {
    assert.equal(isSignalName(name), false, name);
  }
});

Deno.test("cache-update and cache-invalid read as the 7.17 worker sends them (trace 02)", () => {
  assert.deepEqual(
    parseWorkerMessage("cache-update url-0-3db6155f8aa8e22f395bfc65b3375f65 17 34748"),
    {
      kind: "cache_update",
      name: "url-0-3db6155f8aa8e22f395bfc65b3375f65",
      size: 17,
      transferUsec: 34748,
    },
  );
  const text = "curl: (7) Failed to connect\n";
  const wire = encodeCacheInvalid("url-4-83", text);
  const nl = wire.indexOf("\n");
  const m = parseWorkerMessage(wire.slice(0, nl));
  assert.deepEqual(m, { kind: "cache_invalid", name: "url-4-83", length: text.length });
  assert.equal(wire.slice(nl + 1), text);
  assert.equal(encodeCacheInvalid("x", ""), "cache-invalid x 6\nfailed");
  assert.equal(encodeCacheInvalid("x", "é"), "cache-invalid x 2\né");
  assert.throws(() => parseWorkerMessage("cache-invalid x"), ProtocolError);
  assert.throws(() => parseWorkerMessage("cache-update x 1"), ProtocolError);
});

Deno.test("encodeHandshake() announces the dialect it is given", () => {
  const id = { hostname: "h", os: "Linux", arch: "x86_64", workerId: "worker-00" };
  const total = { cores: 1, memory: 512, disk: 1000, gpus: 0 };
  assert.ok(encodeHandshake(id, total, 11).startsWith("workqueue 11 h Linux x86_64 "));
  assert.ok(encodeHandshake(id, total).startsWith("workqueue 9 h Linux x86_64 "));
});
