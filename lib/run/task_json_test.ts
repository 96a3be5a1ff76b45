import assert from "node:assert/strict";
import { TASK_FIELDS, taskFromJson } from "./task_json.ts";

const DIR = "/data/run";
const read = (value: Record<string, unknown>, maxRetries?: number) =>
  taskFromJson(value, { dir: DIR, maxRetries });
const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("taskFromJson() maps every field onto the task", () => {
  const t = read({
    command: "./simulate",
    inputs: [
      { local: "in.txt", remote: "input.txt", cache: false },
      "params/p1.txt",
      { local: "/abs/tool.sh" },
      { buffer: "n=3\n", remote: "n.txt" },
      { buffer: "", remote: "empty.txt", cache: false },
      { directory: "db", remote: "database" },
      { directory: "scratch", recursive: false },
    ],
    outputs: [
      "out.txt",
      { local: "results/a.txt", remote: "a.txt", cache: true },
      { directory: "plots" },
    ],
    env: { SEED: "7", STEPS: 100 },
    cores: 2,
    memory: 512,
    disk: 1024,
    gpus: 0,
    tag: "run-1",
    priority: -2.5,
    maxRetries: 4,
  });
  assert.equal(t.command, "./simulate");
  assert.deepEqual(t.inputs, [
    { kind: "file", local: "/data/run/in.txt", remote: "input.txt", cache: false },
    { kind: "file", local: "/data/run/params/p1.txt", remote: "p1.txt", cache: true },
    { kind: "file", local: "/abs/tool.sh", remote: "tool.sh", cache: true },
    { kind: "buffer", data: bytes("n=3\n"), remote: "n.txt", cache: true },
    { kind: "buffer", data: bytes(""), remote: "empty.txt", cache: false },
    { kind: "file", local: "/data/run/db", remote: "database", cache: true },
    { kind: "emptydir", remote: "scratch" },
  ]);
  assert.deepEqual(t.outputs, [
    { local: "/data/run/out.txt", remote: "out.txt", cache: false },
    { local: "/data/run/results/a.txt", remote: "a.txt", cache: true },
    { local: "/data/run/plots", remote: "plots", cache: false },
  ]);
  assert.deepEqual([...t.environment], [["SEED", "7"], ["STEPS", "100"]]);
  assert.deepEqual(t.resources, { cores: 2, memory: 512, disk: 1024, gpus: 0 });
  assert.equal(t.tag, "run-1");
  assert.equal(t.priority, -2.5);
  assert.equal(t.maxRetries, 4);
});

Deno.test("taskFromJson() needs only a command; paths are normalized", () => {
  const t = read({ command: "true", inputs: ["./a/../b.txt"], outputs: ["/x//y/./z"] });
  assert.deepEqual(t.inputs, [{
    kind: "file",
    local: "/data/run/b.txt",
    remote: "b.txt",
    cache: true,
  }]);
  assert.deepEqual(t.outputs, [{ local: "/x/y/z", remote: "z", cache: false }]);
  const bare = read({ command: "true" });
  assert.deepEqual([bare.inputs, bare.outputs, bare.resources, bare.tag], [[], [], {}, undefined]);
  assert.equal(bare.maxRetries, 0);
});

Deno.test("taskFromJson() takes the run's maxRetries unless the task sets its own", () => {
  assert.equal(read({ command: "true" }, 3).maxRetries, 3);
  assert.equal(read({ command: "true", maxRetries: 0 }, 3).maxRetries, 0);
});

Deno.test("taskFromJson() lists the fields in its messages", () => {
  assert.deepEqual(TASK_FIELDS, [
    "command",
    "inputs",
    "outputs",
    "env",
    "cores",
    "memory",
    "disk",
    "gpus",
    "tag",
    "priority",
    "maxRetries",
  ]);
});

/** Each bad task and the message it gets. */
const BAD: [Record<string, unknown>, string | RegExp, ErrorConstructor][] = [
  [{}, "Cannot read task: 'command' is missing", TypeError],
  [{ command: "" }, `Cannot read task: 'command' must be a non-empty string, got ""`, TypeError],
  [
    { command: ["ls"] },
    `Cannot read task: 'command' must be a non-empty string, got ["ls"]`,
    TypeError,
  ],
  [
    { comand: "ls" },
    `Cannot read task: unknown field 'comand' (fields: ${TASK_FIELDS.join(", ")})`,
    TypeError,
  ],
  [
    { command: "x", cores: "x" },
    `Cannot read task: 'cores' must be a positive whole number, got "x"`,
    RangeError,
  ],
  [
    { command: "x", cores: 0 },
    "Cannot read task: 'cores' must be a positive whole number, got 0",
    RangeError,
  ],
  [
    { command: "x", cores: 1.5 },
    "Cannot read task: 'cores' must be a positive whole number, got 1.5",
    RangeError,
  ],
  [
    { command: "x", memory: -1 },
    "Cannot read task: 'memory' must be a positive whole number, got -1",
    RangeError,
  ],
  [
    { command: "x", disk: null },
    "Cannot read task: 'disk' must be a positive whole number, got null",
    RangeError,
  ],
  [
    { command: "x", gpus: -1 },
    "Cannot read task: 'gpus' must be a whole number, 0 or more, got -1",
    RangeError,
  ],
  [
    { command: "x", maxRetries: "3" },
    `Cannot read task: 'maxRetries' must be a whole number, 0 or more, got "3"`,
    RangeError,
  ],
  [
    { command: "x", priority: "high" },
    `Cannot read task: 'priority' must be a number, got "high"`,
    RangeError,
  ],
  [{ command: "x", tag: 5 }, "Cannot read task: 'tag' must be a string, got 5", TypeError],
  [
    { command: "x", env: ["A=1"] },
    `Cannot read task: 'env' must be an object such as {"NAME": "value"}, got ["A=1"]`,
    TypeError,
  ],
  [
    { command: "x", env: { A: true } },
    "Cannot read task: 'env' value of 'A' must be a string or a number, got true",
    TypeError,
  ],
  [
    { command: "x", env: { "NOT A NAME": "1" } },
    "Cannot set environment variable: name 'NOT A NAME' is not a valid variable name",
    TypeError,
  ],
  [
    { command: "x", inputs: "a.txt" },
    `Cannot read task: 'inputs' must be a list [...], got "a.txt"`,
    TypeError,
  ],
  [
    { command: "x", outputs: {} },
    "Cannot read task: 'outputs' must be a list [...], got {}",
    TypeError,
  ],
  [
    { command: "x", inputs: [5] },
    `Cannot read task: input 1: must be a path or an object such as {"local": "data.txt"}, got 5`,
    TypeError,
  ],
  [
    { command: "x", inputs: ["a", {}] },
    "Cannot read task: input 2: needs exactly one of 'local', 'buffer', 'directory', 'url' or 'command', got none",
    TypeError,
  ],
  [
    { command: "x", inputs: [{ local: "a", buffer: "b", remote: "c" }] },
    "Cannot read task: input 1: needs exactly one of 'local', 'buffer', 'directory', 'url' or 'command', got 'local' and 'buffer'",
    TypeError,
  ],
  [
    { command: "x", inputs: [{ local: "a", remot: "b" }] },
    "Cannot read task: input 1: unknown field 'remot' (fields: local, buffer, directory, url, command, remote, cache, recursive)",
    TypeError,
  ],
  [
    { command: "x", inputs: [{ local: "" }] },
    `Cannot read task: input 1: 'local' must be a non-empty string, got ""`,
    TypeError,
  ],
  [
    { command: "x", inputs: [{ local: "a", remote: 3 }] },
    "Cannot read task: input 1: 'remote' must be a non-empty string, got 3",
    TypeError,
  ],
  [
    { command: "x", inputs: [{ local: "a", cache: "yes" }] },
    `Cannot read task: input 1: 'cache' must be true or false, got "yes"`,
    TypeError,
  ],
  [
    { command: "x", inputs: [{ local: "a", recursive: true }] },
    "Cannot read task: input 1: 'recursive' goes only with 'directory'",
    TypeError,
  ],
  [
    { command: "x", inputs: [{ directory: "d", recursive: 1 }] },
    "Cannot read task: input 1: 'recursive' must be true or false, got 1",
    TypeError,
  ],
  [
    { command: "x", inputs: [{ buffer: 5, remote: "b" }] },
    "Cannot read task: input 1: 'buffer' must be a string, got 5",
    TypeError,
  ],
  [
    { command: "x", inputs: [{ buffer: "data" }] },
    "Cannot read task: input 1: a 'buffer' needs a 'remote' name",
    TypeError,
  ],
  [
    { command: "x", inputs: [{ local: "a", remote: "../etc/passwd" }] },
    "Cannot add input file: remote name '../etc/passwd' is unsafe because it contains a '..' component",
    TypeError,
  ],
  [
    { command: "x", inputs: ["a/in.txt", "b/in.txt"] },
    "Cannot add input file: remote name 'in.txt' is already an input of this task",
    TypeError,
  ],
  [
    { command: "x", outputs: [{ buffer: "b", remote: "r" }] },
    "Cannot read task: output 1: unknown field 'buffer' (fields: local, directory, remote, cache)",
    TypeError,
  ],
  [
    { command: "x", outputs: [{ remote: "r" }] },
    "Cannot read task: output 1: needs exactly one of 'local' or 'directory', got none",
    TypeError,
  ],
  [
    { command: "x", outputs: [{ directory: "d", recursive: true }] },
    "Cannot read task: output 1: unknown field 'recursive' (fields: local, directory, remote, cache)",
    TypeError,
  ],
  [
    { command: "x", outputs: [null] },
    `Cannot read task: output 1: must be a path or an object such as {"local": "out.txt"}, got null`,
    TypeError,
  ],
  [
    { command: "x", outputs: ["a/out.txt", "b/out.txt"] },
    "Cannot add output file: remote name 'out.txt' is already an output of this task",
    TypeError,
  ],
  [
    { command: "x", inputs: [{ buffer: "b", remote: "r", note: "x".repeat(100) }] },
    /^Cannot read task: input 1: unknown field 'note'/,
    TypeError,
  ],
];

Deno.test("taskFromJson() rejects each bad field with one message that names it", () => {
  for (const [value, message, kind] of BAD) {
    assert.throws(() => read(value), (e: unknown) => {
      assert.ok(e instanceof kind, `${JSON.stringify(value)}: ${e}`);
      if (typeof message === "string") assert.equal(e.message, message);
      else assert.match(e.message, message);
      return true;
    });
  }
});

Deno.test("taskFromJson() cuts long values short in messages", () => {
  assert.throws(() => read({ command: "x", tag: ["y".repeat(200)] }), {
    message: `Cannot read task: 'tag' must be a string, got ["${"y".repeat(55)}...`,
  });
});

Deno.test("taskFromJson() takes inputs made on the worker: a URL and a command", () => {
  const t = taskFromJson({
    command: "cat a b",
    inputs: [
      { url: "http://127.0.0.1:8000/a.txt", remote: "a" },
      { command: "echo hi > %%", remote: "b", cache: false },
    ],
  }, { dir: "/data" });
  assert.deepEqual(t.inputs, [
    { kind: "url", url: "http://127.0.0.1:8000/a.txt", remote: "a", cache: true },
    { kind: "command", command: "echo hi > %%", remote: "b", cache: false },
  ]);
  assert.throws(
    () => taskFromJson({ command: "x", inputs: [{ url: "http://h/a" }] }, { dir: "/data" }),
    { message: "Cannot read task: input 1: a 'url' needs a 'remote' name" },
  );
});
