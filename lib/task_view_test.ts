import assert from "node:assert/strict";
import { inspect as nodeInspect } from "node:util";
import { kInternal, Task, type TaskRecord } from "./task.ts";

/** Bookkeeping words that must never show. */
const INTERNALS = /prev|next|list|unfitLogged|avoid|record|wq\.task\.internal|#inputs/;

function sample(): Task<{ sample: number }> {
  return new Task({
    command: "sh run.sh > out.txt",
    inputs: [
      { local: "/data/run.sh", remote: "run.sh" },
      { buffer: "x".repeat(5000), remote: "big.txt", cache: false },
      { directory: "/data/empty", recursive: false },
    ],
    outputs: [{ local: "/res/out.txt", remote: "out.txt" }],
    env: { SEED: "7" },
    cores: 1,
    tag: "s7",
    data: { sample: 7 },
  });
}

function finish(t: Task<unknown>, fields: Partial<TaskRecord>): void {
  t.id = 3;
  t[kInternal].state = "returned";
  Object.assign(t[kInternal].record, { submitTime: 1_000 }, fields);
}

Deno.test("toJSON() of a new task: its fields and files, a buffer as its size, no result", () => {
  const json = JSON.parse(JSON.stringify(sample()));
  assert.deepEqual(json, {
    id: 0,
    command: "sh run.sh > out.txt",
    tag: "s7",
    state: null,
    data: { sample: 7 },
    inputs: [
      { kind: "file", local: "/data/run.sh", remote: "run.sh", cache: true },
      { kind: "buffer", bytes: 5000, remote: "big.txt", cache: false },
      { kind: "emptydir", remote: "empty" },
    ],
    outputs: [{ local: "/res/out.txt", remote: "out.txt", cache: false }],
    env: { SEED: "7" },
    resources: { cores: 1 },
    priority: 0,
    category: "default",
    maxRetries: 0,
    attempts: 0,
  });
});

Deno.test("toJSON() of a finished task adds every result field", () => {
  const t = sample();
  finish(t, {
    result: 0,
    returnStatus: 0,
    output: "done\n",
    host: "127.0.0.1:4000",
    hostname: "node7",
    dispatchTime: 1_100,
    finishTime: 2_000,
    executionTime: 1_500,
    measured: { method: "wall", wallSeconds: 1.5 },
  });
  const json = t.toJSON();
  assert.deepEqual(
    Object.fromEntries(Object.entries(json).filter(([k]) => !["inputs", "outputs"].includes(k))),
    {
      id: 3,
      command: "sh run.sh > out.txt",
      tag: "s7",
      state: "returned",
      data: { sample: 7 },
      env: { SEED: "7" },
      resources: { cores: 1 },
      priority: 0,
      category: "default",
      maxRetries: 0,
      attempts: 0,
      ok: true,
      outcome: "success",
      exitCode: 0,
      signal: null,
      measured: { method: "wall", wallSeconds: 1.5 },
      result: 0,
      returnStatus: 0,
      output: "done\n",
      failure: null,
      host: "127.0.0.1:4000",
      hostname: "node7",
      submittedAt: 1_000,
      dispatchedAt: 1_100,
      finishedAt: 2_000,
      runMs: 1.5,
    },
  );
  // It is plain JSON: it survives a round trip, and the data is the task's own.
  assert.deepEqual(JSON.parse(JSON.stringify(json)), json);
  assert.equal(json.data, t.data);
});

Deno.test("console.log shows a task as Task { ... }: no bookkeeping, no buffer bytes", () => {
  const t = sample();
  const shown = Deno.inspect(t, { colors: false });
  assert.match(shown, /^Task \{/);
  assert.doesNotMatch(shown, INTERNALS);
  assert.doesNotMatch(shown, /xxxxx/);
  assert.match(shown, /kind: "buffer", bytes: 5000, remote: "big.txt", cache: false/);
  assert.match(shown, /data: \{ sample: 7 \}/);
  assert.match(shown, /tag: "s7"/);
  // Defaults and empty things are left out; no result before the task is finished.
  assert.doesNotMatch(shown, /priority|category|maxRetries|attempts|state|ok:|outcome/);
  assert.equal(
    Deno.inspect(new Task("true"), { colors: false }),
    'Task { id: 0, command: "true" }',
  );
});

Deno.test("console.log of a finished task shows its result, the output cut short", () => {
  const t = new Task({ command: "yes | head -c 1000", data: "d" });
  finish(t, {
    result: 0,
    returnStatus: 0,
    signal: "SIGPIPE",
    output: "y\n".repeat(500),
    finishTime: 2_000,
    executionTime: 20_000,
  });
  const shown = Deno.inspect(t, { colors: false, breakLength: Infinity });
  assert.doesNotMatch(shown, INTERNALS);
  for (
    const part of [
      'state: "returned"',
      "ok: false",
      'outcome: "signal"',
      "exitCode: null",
      'signal: "SIGPIPE"',
      "returnStatus: 0",
      "failure: null",
      "host: null",
      "dispatchedAt: null",
      "finishedAt: 2000",
      "runMs: 20",
      "(1000 characters)",
    ]
  ) assert.ok(shown.includes(part), `${part} in ${shown}`);
  assert.ok(shown.length < 800, shown); // not the 1000 characters of output
  // Inside other values it nests like any object.
  assert.match(Deno.inspect({ tasks: [t] }, { colors: false }), /tasks: \[\n? *Task \{/);
});

Deno.test("node:util inspect shows the same view", () => {
  const t = sample();
  const shown = nodeInspect(t, { depth: 4, breakLength: Infinity });
  assert.match(shown, /^Task \{/);
  assert.doesNotMatch(shown, INTERNALS);
  assert.match(shown, /kind: 'buffer', bytes: 5000, remote: 'big.txt', cache: false/);
  assert.match(shown, /data: \{ sample: 7 \}/);
});
