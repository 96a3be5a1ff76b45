import assert from "node:assert/strict";
import * as C from "./constants.ts";
import {
  emptyRecord,
  exitCodeOf,
  isFinished,
  okOf,
  type Outcome,
  outcomeOf,
  outcomeOfResult,
  type TaskRecord,
} from "./task_result.ts";

function record(fields: Partial<TaskRecord>): TaskRecord {
  return Object.assign(emptyRecord(1000), fields);
}

Deno.test("outcomeOfResult() names every WORK_QUEUE_RESULT_* value, and any other number 'unknown'", () => {
  const expected: [number, Outcome][] = [
    [C.WORK_QUEUE_RESULT_SUCCESS, "success"],
    [C.WORK_QUEUE_RESULT_INPUT_MISSING, "input-missing"],
    [C.WORK_QUEUE_RESULT_OUTPUT_MISSING, "output-missing"],
    [C.WORK_QUEUE_RESULT_STDOUT_MISSING, "stdout-missing"],
    [C.WORK_QUEUE_RESULT_SIGNAL, "signal"],
    [C.WORK_QUEUE_RESULT_RESOURCE_EXHAUSTION, "resource-exhaustion"],
    [C.WORK_QUEUE_RESULT_TASK_TIMEOUT, "task-timeout"],
    [C.WORK_QUEUE_RESULT_UNKNOWN, "unknown"],
    [C.WORK_QUEUE_RESULT_FORSAKEN, "forsaken"],
    [C.WORK_QUEUE_RESULT_MAX_RETRIES, "max-retries"],
    [C.WORK_QUEUE_RESULT_TASK_MAX_RUN_TIME, "max-run-time"],
    [C.WORK_QUEUE_RESULT_DISK_ALLOC_FULL, "disk-full"],
    [C.WORK_QUEUE_RESULT_RMONITOR_ERROR, "monitor-error"],
  ];
  // Every result constant is in the table, once.
  const constants = Object.entries(C).filter(([name]) => name.startsWith("WORK_QUEUE_RESULT_"));
  assert.deepEqual(
    constants.map(([, v]) => v).toSorted((a, b) => a - b),
    expected.map(([v]) => v).toSorted((a, b) => a - b),
  );
  for (const [result, outcome] of expected) assert.equal(outcomeOfResult(result), outcome);
  assert.equal(outcomeOfResult(6), "unknown");
  assert.equal(outcomeOfResult(-1), "unknown");
});

Deno.test("a record is finished once it has a result or is cancelled; before, everything is undefined", () => {
  const r = emptyRecord(1000);
  assert.equal(isFinished(r), false);
  assert.deepEqual([outcomeOf(r), exitCodeOf(r), okOf(r)], [undefined, undefined, undefined]);
  // Dispatched and running: still not finished.
  Object.assign(r, { dispatchTime: 1001, host: "127.0.0.1:5000" });
  assert.equal(isFinished(r), false);
  assert.equal(okOf(r), undefined);
  assert.equal(isFinished(record({ result: 0 })), true);
  assert.equal(isFinished(record({ cancelled: true })), true);
});

Deno.test("ok is true only for a success whose command exited 0", () => {
  assert.equal(okOf(record({ result: 0, returnStatus: 0 })), true);
  assert.equal(okOf(record({ result: 0, returnStatus: 3 })), false);
  assert.equal(
    okOf(record({ result: C.WORK_QUEUE_RESULT_OUTPUT_MISSING, returnStatus: 0 })),
    false,
  );
  assert.equal(
    okOf(record({ result: C.WORK_QUEUE_RESULT_STDOUT_MISSING, returnStatus: 0 })),
    false,
  );
  // A signal the worker named, though the wire says success with 0 (or 9).
  assert.equal(okOf(record({ result: 0, returnStatus: 0, signal: "SIGTERM" })), false);
  assert.equal(okOf(record({ result: 0, returnStatus: 0, cancelled: true })), false);
});

Deno.test("a signal the worker names makes a success 'signal' with no exit code", () => {
  const r = record({ result: 0, returnStatus: 9, signal: "SIGKILL" });
  assert.deepEqual([outcomeOf(r), exitCodeOf(r), okOf(r)], ["signal", null, false]);
  // CCTools' worker names none: a signal is then indistinguishable from exit 9.
  const cctools = record({ result: 0, returnStatus: 9 });
  assert.deepEqual([outcomeOf(cctools), exitCodeOf(cctools)], ["success", 9]);
  // A non-success result keeps its outcome; the signal still voids the exit code.
  const missing = record({ result: 2, returnStatus: 9, signal: "SIGKILL" });
  assert.deepEqual([outcomeOf(missing), exitCodeOf(missing)], ["output-missing", null]);
  // CCTools' own signal result.
  const eight = record({ result: C.WORK_QUEUE_RESULT_SIGNAL, returnStatus: 15 });
  assert.deepEqual([outcomeOf(eight), exitCodeOf(eight)], ["signal", null]);
});

Deno.test("exitCode is null when the command never ran or did not exit on its own", () => {
  const none: [Partial<TaskRecord>, Outcome][] = [
    [{ result: C.WORK_QUEUE_RESULT_INPUT_MISSING }, "input-missing"],
    [{ result: C.WORK_QUEUE_RESULT_MAX_RETRIES }, "max-retries"],
    [{ result: C.WORK_QUEUE_RESULT_FORSAKEN, returnStatus: 0 }, "forsaken"],
    [{ result: C.WORK_QUEUE_RESULT_TASK_TIMEOUT, returnStatus: 9 }, "task-timeout"],
    [{ result: C.WORK_QUEUE_RESULT_TASK_MAX_RUN_TIME, returnStatus: 9 }, "max-run-time"],
    [{ cancelled: true }, "cancelled"],
    [{ result: 0, returnStatus: 0, cancelled: true }, "cancelled"],
  ];
  for (const [fields, outcome] of none) {
    const r = record(fields);
    assert.deepEqual([outcomeOf(r), exitCodeOf(r)], [outcome, null], JSON.stringify(fields));
  }
  // The command ran and exited: its code, whatever the infrastructure said after.
  const ran: [Partial<TaskRecord>, number][] = [
    [{ result: 0, returnStatus: 0 }, 0],
    [{ result: 0, returnStatus: 127 }, 127],
    [{ result: C.WORK_QUEUE_RESULT_OUTPUT_MISSING, returnStatus: 1 }, 1],
    [{ result: C.WORK_QUEUE_RESULT_STDOUT_MISSING, returnStatus: 0 }, 0],
    [{ result: C.WORK_QUEUE_RESULT_DISK_ALLOC_FULL, returnStatus: 2 }, 2],
  ];
  for (const [fields, code] of ran) assert.equal(exitCodeOf(record(fields)), code);
  // A result without a return status (the command did not run): null.
  assert.equal(exitCodeOf(record({ result: C.WORK_QUEUE_RESULT_UNKNOWN })), null);
});
