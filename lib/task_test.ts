import assert from "node:assert/strict";
import { Task } from "./task.ts";

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
