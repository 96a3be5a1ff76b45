import assert from "node:assert/strict";
import { encodeRecord, HEADER, parseJournal } from "./format.ts";
import type { JournalRecord } from "./records.ts";
import { replay } from "./records.ts";
import { jsonProblem, taskFromSpec, taskSpec } from "./task_codec.ts";
import { Task } from "../../task.ts";

const enc = new TextEncoder();
const RECORDS: JournalRecord[] = [
  { op: "submit", id: 1, task: { command: "echo a", key: "a", data: { n: "é" } } },
  { op: "dispatch", id: 1, attempt: 0 },
  { op: "submit", id: 2, task: { command: "echo b" } },
  { op: "deliver", id: 1 },
];
const WHOLE = enc.encode(HEADER + RECORDS.map(encodeRecord).join(""));

Deno.test("parseJournal() takes a journal cut at any byte as torn, never as corrupt", () => {
  for (let n = 0; n <= WHOLE.length; n++) {
    const j = parseJournal(WHOLE.subarray(0, n), "j");
    assert.equal(j.end + j.torn, n);
    assert.ok(j.records.length <= RECORDS.length);
    assert.deepEqual(j.records, RECORDS.slice(0, j.records.length));
  }
  assert.equal(parseJournal(WHOLE, "j").records.length, RECORDS.length);
});

Deno.test("parseJournal() refuses a changed byte before the last record, and drops the last record if changed", () => {
  const lastStart = WHOLE.length - encodeRecord(RECORDS[3]).length;
  for (let i = HEADER.length; i < WHOLE.length - 1; i++) {
    const bytes = WHOLE.slice();
    bytes[i] ^= 0x04;
    if (i < lastStart) {
      assert.throws(
        () => parseJournal(bytes, "j"),
        /followed by valid records at offset \d+/,
        `byte ${i}`,
      );
    } else {
      const j = parseJournal(bytes, "j");
      assert.equal(j.records.length, 3, `byte ${i}`);
      assert.equal(j.end, lastStart);
    }
  }
});

Deno.test("parseJournal() refuses an unknown record kind even at the end", () => {
  const bytes = enc.encode(HEADER + encodeRecord({ op: "later" } as unknown as JournalRecord));
  assert.throws(() => parseJournal(bytes, "j"), /unknown kind 'later' at offset 34/);
});

Deno.test("replay() forgets delivered and cancelled tasks but keeps their keys and the next id", () => {
  const s = replay([
    { op: "base", nextId: 10 },
    ...RECORDS,
    { op: "complete", id: 2, record: { result: 0 } as never },
    { op: "submit", id: 3, task: { command: "x", key: "c" } },
    { op: "cancel", id: 3 },
    { op: "keys", keys: [["old", 7]] },
  ]);
  assert.deepEqual([...s.live.keys()], [2]);
  assert.deepEqual(s.live.get(2)?.completed, { result: 0 });
  assert.deepEqual([...s.keys], [["a", 1], ["c", 3], ["old", 7]]);
  assert.equal(s.nextId, 10);
});

Deno.test("taskSpec() and taskFromSpec() keep binary buffers, directories and made inputs", () => {
  const t = new Task("true")
    .specifyInputBuffer(new Uint8Array([0, 255, 10]), "bin")
    .specifyDirectory("d", "d", { type: "input" })
    .specifyUrl("http://127.0.0.1/x", "x")
    .specifyFileCommand("seq 3 > %%", "s", { cache: false })
    .specifyOutputFile("w.log", undefined, { watch: true })
    .specifyGpus(1);
  const u = taskFromSpec(JSON.parse(JSON.stringify(taskSpec(t))));
  assert.deepEqual(u.inputs, t.inputs);
  assert.deepEqual(u.outputs, t.outputs);
  assert.deepEqual(u.resources, t.resources);
  assert.equal(jsonProblem([1, undefined], "data"), "data[1] is undefined");
  assert.equal(jsonProblem({ "a b": new Map() }, "data"), 'data["a b"] is a Map');
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  assert.equal(jsonProblem(cycle, "data"), "data.self refers back to itself");
});
