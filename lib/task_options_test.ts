import assert from "node:assert/strict";
import { Task } from "./task.ts";
import type { TaskOptions } from "./task_options.ts";

/** What a task holds, for comparing two tasks made in different ways. */
function shape(t: Task) {
  return {
    command: t.command,
    inputs: t.inputs,
    outputs: t.outputs,
    env: [...t.environment],
    resources: t.resources,
    tag: t.tag,
    priority: t.priority,
    maxRetries: t.maxRetries,
    category: t.category,
    preferredHosts: t.preferredHosts,
  };
}

Deno.test("new Task({...}) makes the task the specify* chain makes", () => {
  const bytes = new Uint8Array([1, 2, 3]);
  const t = new Task({
    command: "./simulate",
    inputs: [
      { local: "/data/in.txt" },
      { local: "/data/tool.sh", remote: "tool", cache: false },
      { buffer: "n=3\n", remote: "n.txt" },
      { buffer: bytes, remote: "raw.bin", cache: false },
      { directory: "/data/db", remote: "database" },
      { directory: "/data/scratch", recursive: false },
    ],
    outputs: [
      { local: "/res/out.txt", remote: "out.txt" },
      { local: "/res/log.txt", cache: true },
      { directory: "/res/plots", remote: "plots" },
    ],
    env: { SEED: "7", STEPS: "100" },
    cores: 2,
    memory: 512,
    disk: 1024,
    gpus: 0,
    tag: "run-1",
    priority: -2.5,
    maxRetries: 4,
    category: "sim",
    preferredHosts: ["node07"],
  });
  const u = new Task("./simulate")
    .specifyInputFile("/data/in.txt")
    .specifyInputFile("/data/tool.sh", "tool", { cache: false })
    .specifyInputBuffer("n=3\n", "n.txt")
    .specifyInputBuffer(bytes, "raw.bin", { cache: false })
    .specifyDirectory("/data/db", "database", { type: "input", recursive: true })
    .specifyDirectory("/data/scratch", undefined, { type: "input" })
    .specifyOutputFile("/res/out.txt", "out.txt")
    .specifyOutputFile("/res/log.txt", undefined, { cache: true })
    .specifyDirectory("/res/plots", "plots", { type: "output" })
    .specifyEnvironmentVariable("SEED", "7")
    .specifyEnvironmentVariable("STEPS", "100")
    .specifyCores(2)
    .specifyMemory(512)
    .specifyDisk(1024)
    .specifyGpus(0)
    .specifyTag("run-1")
    .specifyMaxRetries(4)
    .specifyPreferredHosts(["node07"]);
  u.priority = -2.5;
  u.category = "sim";
  assert.deepEqual(shape(t), shape(u));
  assert.deepEqual(t.inputs.map((i) => i.kind), [
    "file",
    "file",
    "buffer",
    "buffer",
    "file",
    "emptydir",
  ]);
  // The buffer is copied at once, as specifyInputBuffer does.
  bytes[0] = 9;
  assert.deepEqual(t.inputs[3].kind === "buffer" && [...t.inputs[3].data], [1, 2, 3]);
});

Deno.test("new Task({ outputs: [{ local, watch: true }] }) is specifyOutputFile(..., { watch: true })", () => {
  const a = new Task({
    command: "x",
    outputs: [{ local: "log.txt", watch: true }, { local: "out.txt", watch: false }],
  });
  const b = new Task("x")
    .specifyOutputFile("log.txt", undefined, { watch: true })
    .specifyOutputFile("out.txt");
  assert.deepEqual(a.outputs, b.outputs);
  assert.deepEqual(a.outputs, [
    { local: "log.txt", remote: "log.txt", cache: false, watch: true },
    { local: "out.txt", remote: "out.txt", cache: false },
  ]);
  assert.throws(
    () => new Task("x").specifyOutputFile("a", "a", { watch: 1 as unknown as boolean }),
    {
      name: "TypeError",
      message: "Cannot add output file: watch must be true or false, got number '1'",
    },
  );
});

Deno.test("new Task({ command }) alone is new Task(command)", () => {
  assert.deepEqual(shape(new Task({ command: "true" })), shape(new Task("true")));
  assert.equal(new Task({ command: "true" }).data, undefined);
});

Deno.test("new Task({ data }) keeps the value itself, typed", () => {
  const data = { n: 1, seen: new Set<string>() };
  const t = new Task({ command: "true", data });
  assert.equal(t.data, data);
  const n: number = t.data.n; // D is inferred from the options
  assert.equal(n, 1);
  const typed = new Task<string[]>({ command: "true", data: ["a"] });
  typed.data.push("b");
  assert.deepEqual(typed.data, ["a", "b"]);
  const late = new Task<number>("true");
  late.data = 5;
  assert.equal(late.data, 5);
});

/** Each bad option, the error's class and its message. */
const BAD: [unknown, ErrorConstructor, string][] = [
  [{}, TypeError, "Cannot create task: 'command' must be a non-empty string, got undefined"],
  [{ command: "" }, TypeError, "Cannot create task: 'command' must be a non-empty string, got ''"],
  [
    { command: "x", core: 2 },
    TypeError,
    "Cannot create task: unknown option 'core' (options: command, inputs, outputs, env, cores, " +
    "memory, disk, gpus, tag, priority, maxRetries, runningTimeMax, endTime, category, preferredHosts, data, key)",
  ],
  [
    { command: "x", cores: -1 },
    RangeError,
    "Cannot create task: 'cores' must be a non-negative number, got -1",
  ],
  [
    { command: "x", memory: NaN },
    RangeError,
    "Cannot create task: 'memory' must be a non-negative number, got NaN",
  ],
  [{ command: "x", disk: "1" }, TypeError, "Cannot create task: 'disk' must be a number, got '1'"],
  [{ command: "x", cores: 1n }, TypeError, "Cannot create task: 'cores' must be a number, got 1n"],
  [
    { command: "x", gpus: Infinity },
    RangeError,
    "Cannot create task: 'gpus' must be a non-negative number, got Infinity",
  ],
  [{ command: "x", tag: 5 }, TypeError, "Cannot create task: 'tag' must be a string, got 5"],
  [
    { command: "x", priority: "high" },
    TypeError,
    "Cannot create task: 'priority' must be a number, got 'high'",
  ],
  [
    { command: "x", priority: NaN },
    RangeError,
    "Cannot create task: 'priority' must be a finite number, got NaN",
  ],
  [
    { command: "x", runningTimeMax: -5 },
    RangeError,
    "Cannot create task: 'runningTimeMax' must be a finite number >= 0, got -5",
  ],
  [
    { command: "x", endTime: "soon" },
    RangeError,
    "Cannot create task: 'endTime' must be a finite number >= 0, got soon",
  ],
  [
    { command: "x", maxRetries: 1.5 },
    RangeError,
    "Cannot create task: 'maxRetries' must be a whole number >= 0, got 1.5",
  ],
  [
    { command: "x", category: null },
    TypeError,
    "Cannot create task: 'category' must be a string, got null",
  ],
  [
    { command: "x", preferredHosts: ["a", ""] },
    TypeError,
    `Cannot create task: 'preferredHosts' must be an array of non-empty strings, got [ "a", "" ]`,
  ],
  [
    { command: "x", inputs: "a.txt" },
    TypeError,
    "Cannot create task: 'inputs' must be an array, got 'a.txt'",
  ],
  [
    { command: "x", inputs: [{ local: "a" }, "b"] },
    TypeError,
    "Cannot create task: 'inputs[1]' must be an object with 'local', 'buffer', 'directory', 'url' or 'command', got 'b'",
  ],
  [
    { command: "x", inputs: [{ remote: "a" }] },
    TypeError,
    "Cannot create task: 'inputs[0]' needs exactly one of 'local', 'buffer', 'directory', 'url' or 'command', got none",
  ],
  [
    { command: "x", inputs: [{ local: "a", buffer: "b", remote: "c" }] },
    TypeError,
    "Cannot create task: 'inputs[0]' needs exactly one of 'local', 'buffer', 'directory', 'url' or 'command', got 'local' and 'buffer'",
  ],
  [
    { command: "x", inputs: [{ local: "a", remot: "b" }] },
    TypeError,
    "Cannot create task: 'inputs[0]' has an unknown field 'remot' (fields: local, buffer, directory, url, command, remote, cache, recursive)",
  ],
  [
    { command: "x", inputs: [{ command: "echo hi > out", remote: "a" }] },
    TypeError,
    "Cannot add input command: 'echo hi > out' has no '%%' to stand for the file it makes",
  ],
  [
    { command: "x", inputs: [{ url: "http://h/a\nb", remote: "a" }] },
    TypeError,
    "Cannot add input URL: 'http://h/a b' holds a line break or NUL byte",
  ],
  [
    { command: "x", inputs: [{ url: "http://h/" + "x".repeat(4000), remote: "a" }] },
    RangeError,
    "Cannot add input URL: it is 4009 bytes URL-encoded, over the 3968 a protocol line holds",
  ],
  [
    { command: "x", inputs: [{ url: "http://h/a" }] },
    TypeError,
    "Cannot add input URL: remote name must be a string, got undefined",
  ],
  [
    { command: "x", inputs: [{ local: "a", recursive: true }] },
    TypeError,
    "Cannot create task: 'inputs[0]' has 'recursive', which goes only with 'directory'",
  ],
  [
    { command: "x", inputs: [{ local: "a", cache: "yes" }] },
    TypeError,
    "Cannot create task: 'inputs[0].cache' must be true or false, got 'yes'",
  ],
  [
    { command: "x", outputs: [{ directory: "d", recursive: true }] },
    TypeError,
    "Cannot create task: 'outputs[0]' has an unknown field 'recursive' (fields: local, directory, remote, cache, watch)",
  ],
  [
    { command: "x", outputs: [{ directory: "d", watch: true }] },
    TypeError,
    "Cannot create task: 'outputs[0]' has 'watch', which goes only with 'local'",
  ],
  [
    { command: "x", outputs: [{ local: "log", watch: "yes" }] },
    TypeError,
    "Cannot create task: 'outputs[0].watch' must be true or false, got 'yes'",
  ],
  [
    { command: "x", outputs: [{ buffer: "b", remote: "r" }] },
    TypeError,
    "Cannot create task: 'outputs[0]' has an unknown field 'buffer' (fields: local, directory, remote, cache, watch)",
  ],
  [
    { command: "x", env: ["A=1"] },
    TypeError,
    `Cannot create task: 'env' must be an object such as { NAME: "value" }, got [ "A=1" ]`,
  ],
  // Names and values are checked by the specify* methods, with their messages.
  [
    { command: "x", env: { "NOT A NAME": "1" } },
    TypeError,
    "Cannot set environment variable: name 'NOT A NAME' is not a valid variable name",
  ],
  [
    { command: "x", env: { A: 1 } },
    TypeError,
    "Cannot set environment variable 'A': value must be a string, got number",
  ],
  [
    { command: "x", inputs: [{ local: "a", remote: "../etc/passwd" }] },
    TypeError,
    "Cannot add input file: remote name '../etc/passwd' is unsafe because it contains a '..' component",
  ],
  [
    { command: "x", inputs: [{ local: "a/in.txt" }, { buffer: "b", remote: "in.txt" }] },
    TypeError,
    "Cannot add input buffer: remote name 'in.txt' is already an input of this task",
  ],
  [
    { command: "x", inputs: [{ buffer: 5, remote: "b" }] },
    TypeError,
    "Cannot add input buffer: data must be a string or Uint8Array, got number",
  ],
  [
    { command: "x", outputs: [{ local: "a/out.txt" }, { directory: "b/out.txt" }] },
    TypeError,
    "Cannot add output file: remote name 'out.txt' is already an output of this task",
  ],
  [
    { command: "x", outputs: [{ local: "" }] },
    TypeError,
    "Cannot add output file: local name must be a non-empty string, got ''",
  ],
];

Deno.test("new Task({...}) rejects each bad option with an error that names it", () => {
  for (const [options, kind, message] of BAD) {
    assert.throws(() => new Task(options as TaskOptions), (e: unknown) => {
      assert.ok(e instanceof kind, `${Deno.inspect(options)}: ${e}`);
      assert.equal(e.message, message);
      return true;
    });
  }
});

Deno.test("new Task(command) keeps its message for a bad command", () => {
  assert.throws(() => new Task(""), {
    name: "TypeError",
    message: "Cannot create task: command must be a non-empty string, got ''",
  });
});

Deno.test("new Task({ inputs }) takes { url, remote } and { command, remote } as specifyUrl and specifyFileCommand do", () => {
  const t = new Task({
    command: "cat a.txt b.txt",
    inputs: [
      { url: "http://127.0.0.1:1/data.txt", remote: "a.txt" },
      { command: "echo made > %%", remote: "b.txt", cache: false },
    ],
  });
  const u = new Task("cat a.txt b.txt")
    .specifyUrl("http://127.0.0.1:1/data.txt", "a.txt")
    .specifyFileCommand("echo made > %%", "b.txt", { cache: false });
  assert.deepEqual(t.inputs, u.inputs);
  assert.deepEqual(t.inputs, [
    { kind: "url", url: "http://127.0.0.1:1/data.txt", remote: "a.txt", cache: true },
    { kind: "command", command: "echo made > %%", remote: "b.txt", cache: false },
  ]);
  assert.deepEqual(t.toJSON().inputs, t.inputs);
});
