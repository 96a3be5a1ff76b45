import assert from "node:assert/strict";
import {
  Task,
  WORK_QUEUE_RESULT_INPUT_MISSING,
  WORK_QUEUE_RESULT_MAX_RETRIES,
  WORK_QUEUE_RESULT_SUCCESS,
} from "../../mod.ts";
import { kInternal, type TaskRecord } from "../task.ts";
import { summaryLine, taskRecord } from "./report.ts";

/** A completed task: its result fields are set where the queue sets them. */
function finished(
  command: string,
  fields: Partial<TaskRecord> & { id?: number; tag?: string },
): Task {
  const { id = 0, tag, ...record } = fields;
  const t = new Task(command);
  t.id = id;
  t.tag = tag;
  Object.assign(t[kInternal].record, record);
  return t;
}

Deno.test("taskRecord() of a task that ran and exited 0 is ok, with its host and times", () => {
  const t = finished("echo hi", {
    id: 4,
    tag: "greet",
    result: WORK_QUEUE_RESULT_SUCCESS,
    returnStatus: 0,
    output: "hi\n",
    host: "127.0.0.1:40001",
    hostname: "node7",
    submitTime: Date.UTC(2025, 0, 2, 3, 4, 5, 0),
    dispatchTime: Date.UTC(2025, 0, 2, 3, 4, 5, 250),
    finishTime: Date.UTC(2025, 0, 2, 3, 4, 6, 0),
    executionTime: 612_400,
  });
  assert.deepEqual(taskRecord(t, 12), {
    id: 4,
    line: 12,
    tag: "greet",
    command: "echo hi",
    ok: true,
    result: "success",
    exitCode: 0,
    output: "hi\n",
    failure: null,
    host: "127.0.0.1:40001",
    hostname: "node7",
    submitted: "2025-01-02T03:04:05.000Z",
    started: "2025-01-02T03:04:05.250Z",
    finished: "2025-01-02T03:04:06.000Z",
    ms: 612,
    attempts: 0,
  });
});

Deno.test("taskRecord() of a command that exited non-zero is not ok, though its result is success", () => {
  const r = taskRecord(finished("exit 3", { id: 1, result: 0, returnStatus: 3 }), 1);
  assert.deepEqual([r.ok, r.result, r.exitCode], [false, "success", 3]);
});

Deno.test("taskRecord() of a task that never ran: its result's name, the failure, nulls", () => {
  const r = taskRecord(
    finished("wc -l in.txt", {
      id: 2,
      result: WORK_QUEUE_RESULT_INPUT_MISSING,
      failure: "input file '/d/in.txt' is missing",
      submitTime: 0,
      finishTime: 5,
    }),
    3,
  );
  assert.deepEqual(
    [r.ok, r.result, r.exitCode, r.failure, r.host, r.started, r.ms, r.tag],
    [false, "input_missing", null, "input file '/d/in.txt' is missing", null, null, null, null],
  );
  assert.equal(
    taskRecord(finished("x", { result: WORK_QUEUE_RESULT_MAX_RETRIES }), 1).result,
    "max_retries",
  );
  assert.equal(taskRecord(finished("x", { result: 99 }), 1).result, "result_99");
  assert.equal(taskRecord(finished("x", {}), 1).result, "unknown");
});

Deno.test("taskRecord() is plain JSON: it survives a round trip", () => {
  const r = taskRecord(
    finished("printf '\\n\"'", { id: 1, result: 0, returnStatus: 0, output: '\n"' }),
    1,
  );
  assert.deepEqual(JSON.parse(JSON.stringify(r)), r);
});

Deno.test("summaryLine() counts, lists failed lines in order (10 at most) and says what did not finish", () => {
  assert.equal(
    summaryLine({ total: 1, succeeded: 1, failedLines: [], elapsedMs: 40 }),
    "1 task: 1 succeeded, 0 failed in 0.0 s",
  );
  assert.equal(
    summaryLine({ total: 3, succeeded: 2, failedLines: [5], elapsedMs: 12_345 }),
    "3 tasks: 2 succeeded, 1 failed (line 5) in 12.3 s",
  );
  const many = Array.from({ length: 12 }, (_, i) => 30 - i);
  assert.equal(
    summaryLine({ total: 20, succeeded: 8, failedLines: many, elapsedMs: 1000 }),
    "20 tasks: 8 succeeded, 12 failed (lines 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, ...) in 1.0 s",
  );
  assert.equal(
    summaryLine({ total: 10, succeeded: 3, failedLines: [2], elapsedMs: 500, interrupted: true }),
    "10 tasks: 3 succeeded, 1 failed (line 2), 6 not done in 0.5 s (interrupted)",
  );
});
