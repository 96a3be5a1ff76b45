import assert from "node:assert/strict";
import type { CompletedTask } from "./completed_task.ts";
import { WORK_QUEUE_RESULT_UNKNOWN } from "./constants.ts";
import { kInternal, Task, type TaskRecord } from "./task.ts";

Deno.test("Task refuses remote names that would leave the sandbox", () => {
  const t = new Task("true");
  assert.throws(() => t.specifyInputFile("a.txt", "/etc/passwd"), TypeError);
  assert.throws(() => t.specifyInputFile("a.txt", "../a.txt"), TypeError);
  assert.throws(() => t.specifyInputBuffer("x", "sub/../../x"), TypeError);
  assert.throws(() => t.specifyOutputFile("o.txt", "/tmp/o.txt"), /absolute/);
  assert.throws(() => t.specifyDirectory("d", "..", { type: "input" }), TypeError);
  assert.equal(t.inputs.length, 0);
});

Deno.test("Task refuses bad commands, names and values with errors that name them", () => {
  assert.throws(() => new Task(""), /command/);
  const t = new Task("true");
  assert.throws(() => t.specifyInputFile(""), /local name/);
  assert.throws(() => t.specifyEnvironmentVariable("1BAD", "x"), /'1BAD'/);
  assert.throws(() => t.specifyCores(-1), RangeError);
  // deno-lint-ignore no-explicit-any
  assert.throws(() => t.specifyDirectory("d", "d", { type: "sideways" as any }), /'sideways'/);
  t.specifyInputFile("in.txt");
  assert.throws(() => t.specifyInputBuffer("x", "in.txt"), /already an input/);
  t.specifyOutputFile("out.txt");
  assert.throws(() => t.specifyOutputFile("elsewhere/out.txt"), /already an output/);
});

Deno.test("Task defaults: remote names from base names, inputs cached, outputs not", () => {
  const t = new Task("x")
    .specifyInputFile("/data/in.txt")
    .specifyInputBuffer("abc", "b.txt", { cache: false })
    .specifyOutputFile("results/out.txt")
    .specifyDirectory("work", undefined, { type: "input" });
  assert.deepEqual(t.inputs.map((i) => i.remote), ["in.txt", "b.txt", "work"]);
  assert.deepEqual(t.inputs.map((i) => i.kind), ["file", "buffer", "emptydir"]);
  assert.equal((t.inputs[0] as { cache: boolean }).cache, true);
  assert.equal((t.inputs[1] as { cache: boolean }).cache, false);
  assert.equal(t.outputs[0].remote, "out.txt");
  assert.equal(t.outputs[0].cache, false);
  assert.equal(t.state, undefined);
});

Deno.test("Task's result fields are read-only: the queue sets them", () => {
  const t = new Task("true");
  assert.equal(t.result, undefined);
  assert.equal(t.output, "");
  for (const field of ["result", "returnStatus", "output", "failure", "host", "executionTime"]) {
    assert.throws(() => {
      (t as unknown as Record<string, unknown>)[field] = 1;
    }, TypeError);
  }
});

/** A task as the queue leaves it: submitted, and then its record filled in. */
function completed<D>(t: Task<D>, fields: Partial<TaskRecord>): CompletedTask<D> {
  t.id = 7;
  Object.assign(t[kInternal], { state: "returned" });
  Object.assign(t[kInternal].record, { submitTime: 1_000 }, fields);
  return t as CompletedTask<D>;
}

Deno.test("Task's new result getters are undefined until the task is finished", () => {
  const t = new Task("true");
  const fresh = [t.ok, t.outcome, t.exitCode, t.signal, t.dispatchedAt, t.runMs, t.finishedAt];
  assert.deepEqual(fresh, [
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
  ]);
  // The CCTools-named ones too (output is "" as always).
  assert.deepEqual([t.result, t.returnStatus, t.failure, t.host, t.hostname, t.submittedAt], [
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
    undefined,
  ]);
  // Submitted and running: what is known shows, the verdict does not.
  Object.assign(t[kInternal].record, { submitTime: 1_000, dispatchTime: 1_010, host: "h:1" });
  assert.deepEqual([t.submittedAt, t.dispatchedAt, t.host, t.ok, t.returnStatus], [
    1_000,
    1_010,
    "h:1",
    undefined,
    undefined,
  ]);
});

Deno.test("a completed task: ok, exitCode, times in ms beside CCTools' units, data untouched", () => {
  const data = { n: 1, list: [1, 2] };
  const t = completed(new Task({ command: "exit 3", data }), {
    result: 0,
    returnStatus: 3,
    output: "hi\n",
    host: "127.0.0.1:4000",
    hostname: "node7",
    dispatchTime: 1_250,
    finishTime: 2_000,
    executionTime: 612_400,
  });
  // No undefined checks needed: CompletedTask types these as defined.
  const n: number = t.data.n;
  const runMs: number | null = t.runMs;
  assert.equal(n, 1);
  assert.equal(t.data, data); // the same object, not a copy
  assert.deepEqual(
    [t.ok, t.outcome, t.exitCode, t.signal, t.result, t.returnStatus, t.failure],
    [false, "success", 3, null, 0, 3, null],
  );
  assert.deepEqual([t.submittedAt, t.dispatchedAt, t.finishedAt, runMs], [
    1_000,
    1_250,
    2_000,
    612.4,
  ]);
  // CCTools' names keep CCTools' units: ms since the epoch, and µs for the run.
  assert.deepEqual([t.submitTime, t.dispatchTime, t.finishTime, t.executionTime], [
    1_000,
    1_250,
    2_000,
    612_400,
  ]);
  t.data = { n: 2, list: [] };
  assert.equal(t.data.n, 2);
});

Deno.test("a task that never ran: returnStatus -1, exitCode, host, dispatch and run time null", () => {
  const t = completed(new Task("wc -l in.txt"), {
    result: 1,
    failure: "input 'in.txt' cannot be read",
    finishTime: 1_005,
  });
  assert.deepEqual(
    [t.ok, t.outcome, t.exitCode, t.signal, t.returnStatus, t.host, t.hostname],
    [false, "input-missing", null, null, -1, null, null],
  );
  assert.deepEqual([t.dispatchedAt, t.runMs, t.finishedAt], [null, null, 1_005]);
  assert.equal(t.failure, "input 'in.txt' cannot be read");
  assert.equal(t.dispatchTime, undefined); // CCTools' name: as before
});

Deno.test("a signal the worker named: outcome 'signal', its name, no exit code", () => {
  const t = completed(new Task("sh -c 'kill -KILL $$'"), {
    result: 0,
    returnStatus: 9,
    signal: "SIGKILL",
    finishTime: 2_000,
    executionTime: 10,
  });
  assert.deepEqual([t.ok, t.outcome, t.exitCode, t.signal, t.result, t.returnStatus], [
    false,
    "signal",
    null,
    "SIGKILL",
    0,
    9,
  ]);
});

Deno.test("a cancelled task: outcome 'cancelled', result UNKNOWN, returnStatus -1", () => {
  const t = completed(new Task("sleep 100"), { cancelled: true, finishTime: 3_000 });
  assert.deepEqual([t.ok, t.outcome, t.exitCode, t.signal, t.result, t.returnStatus], [
    false,
    "cancelled",
    null,
    null,
    WORK_QUEUE_RESULT_UNKNOWN,
    -1,
  ]);
  assert.deepEqual([t.failure, t.host, t.dispatchedAt, t.runMs, t.finishedAt], [
    null,
    null,
    null,
    null,
    3_000,
  ]);
});

Deno.test("the new getters are read-only too", () => {
  const t = new Task("true");
  for (const field of ["ok", "outcome", "exitCode", "signal", "submittedAt", "runMs"]) {
    assert.throws(() => {
      (t as unknown as Record<string, unknown>)[field] = 1;
    }, TypeError);
  }
});
