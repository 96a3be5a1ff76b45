import assert from "node:assert/strict";
import { WORK_QUEUE_RESULT_INPUT_MISSING } from "../constants.ts";
import { Task } from "../task.ts";
import { joinWorker, okResult, type RecordingComm, testReactor } from "./_recording_comm.ts";
import { MADE_INPUT_LOSS_LIMIT } from "./made_inputs.ts";
import type { Reactor } from "./reactor.ts";
import { onInputsStaged, onResult, onSchedulePass, onSubmit } from "./reactor_tasks.ts";
import { onCacheInvalid, onCacheUpdate, onWorkerGone } from "./reactor_workers.ts";
import { stageInputsSync } from "./staging.ts";
import type { WorkerInfo } from "./worker_info.ts";

const URL_IN = "http://127.0.0.1:1/x.txt";

/** Places a submitted (or requeued) task on the only worker and stages its inputs as the real Comm does. */
function dispatch(r: Reactor, comm: RecordingComm, t: Task): WorkerInfo {
  onSchedulePass(r);
  const [{ task, dispatch: d }] = comm.staging.splice(0);
  assert.equal(task, t);
  const staged = stageInputsSync(t, d.worker.cached);
  assert.ok(staged);
  onInputsStaged(r, t, d, staged);
  assert.equal(t.state, "running");
  return d.worker;
}

Deno.test("a task loses 3 workers while they make its URL input: it fails as input-missing, no endless loop", () => {
  const { r, comm } = testReactor();
  const t = new Task("cat x.txt").specifyUrl(URL_IN, "x.txt", { cache: false }).specifyCores(1);
  onSubmit(r, t);
  for (let i = 1; i <= MADE_INPUT_LOSS_LIMIT; i++) {
    const w = joinWorker(r, i);
    dispatch(r, comm, t);
    onWorkerGone(r, w, "removed", "it closed the connection");
    if (i < MADE_INPUT_LOSS_LIMIT) assert.equal(t.state, "ready", `after loss ${i}`);
  }
  assert.equal(t.state, "complete");
  assert.equal(t.result, WORK_QUEUE_RESULT_INPUT_MISSING);
  assert.equal(t.outcome, "input-missing");
  assert.equal(
    t.failure,
    `worker node3 (127.0.0.3:9000) dropped the connection while making input URL '${URL_IN}' (x.txt) ` +
      "(3 workers lost so; a CCTools protocol-9 worker disconnects when a URL or command input fails)",
  );
  assert.deepEqual(comm.delivered, [t]);
  assert.equal(t.attempts, MADE_INPUT_LOSS_LIMIT - 1, "the losses before the last were retries");
});

Deno.test("a worker lost when it already held the task's made input does not count against the input", () => {
  const { r, comm } = testReactor();
  const first = new Task("cat x.txt").specifyUrl(URL_IN, "x.txt").specifyCores(1);
  onSubmit(r, first);
  const w = joinWorker(r, 1);
  dispatch(r, comm, first);
  onCacheUpdate(r, w, [...w.cached.keys()][0], 17);
  assert.deepEqual([...w.cached.values()], [17]);
  assert.deepEqual([...w.cachedKeys.values()], [17]);
  onResult(r, w, first, okResult(first), []);
  for (let i = 0; i < MADE_INPUT_LOSS_LIMIT + 1; i++) {
    const t = new Task("cat x.txt").specifyUrl(URL_IN, "x.txt").specifyCores(1);
    onSubmit(r, t);
    dispatch(r, comm, t);
    const d = r.core.dispatches.get(t.id)!;
    assert.equal(d.madeSent, undefined, "the cached URL is not sent again");
  }
  onWorkerGone(r, w, "lost", "reset");
  assert.ok([...r.core.tasks.values()].every((t) => t.state === "complete" || t.state === "ready"));
  assert.equal([...r.core.tasks.values()].filter((t) => t.state === "ready").length, 4);
});

Deno.test("cache-invalid then result 1: the task fails as input-missing with the worker's reason, and the input is asked for again", () => {
  const { r, comm } = testReactor();
  const w = joinWorker(r, 1);
  const t = new Task("cat x.txt").specifyUrl(URL_IN, "x.txt").specifyCores(1);
  onSubmit(r, t);
  dispatch(r, comm, t);
  const name = [...w.cached.keys()][0];
  assert.match(name, /^url-0-[0-9a-f]{32}$/);
  assert.equal(w.cachedKeys.size, 1);
  onCacheInvalid(r, w, name, "curl: (7) Failed to connect to 127.0.0.1 port 1\n");
  assert.equal(w.cached.size, 0);
  assert.equal(w.cachedKeys.size, 0);
  assert.ok(comm.logs.includes(
    `warn: node1 (127.0.0.1:9000) invalidated ${name}: curl: (7) Failed to connect to 127.0.0.1 port 1`,
  ));
  const missing = { status: 1, exitCode: 1, execUsec: 0, stdout: "", stdoutLength: 0 };
  onResult(r, w, t, okResult(t, missing), []);
  assert.equal(t.state, "complete", "delivered, not retried");
  assert.equal(t.outcome, "input-missing");
  assert.equal(
    t.failure,
    `input URL '${URL_IN}' (x.txt) could not be made on worker node1 (127.0.0.1:9000): ` +
      "curl: (7) Failed to connect to 127.0.0.1 port 1",
  );
  assert.equal(w.invalidated.size, 0);
  const again = new Task("cat x.txt").specifyUrl(URL_IN, "x.txt").specifyCores(1);
  onSubmit(r, again);
  dispatch(r, comm, again);
  assert.equal(r.core.dispatches.get(again.id)!.madeSent?.length, 1);
});

Deno.test("result 1 without cache-invalid: the failure takes the worker's stdout and names the command", () => {
  const { r, comm } = testReactor();
  const w = joinWorker(r, 1);
  const t = new Task("cat b.txt").specifyFileCommand("exit 3 # %%", "b.txt").specifyCores(1);
  onSubmit(r, t);
  dispatch(r, comm, t);
  const stdout = "command failed with exit code 3\n";
  onResult(
    r,
    w,
    t,
    okResult(t, { status: 1, exitCode: 1, stdout, stdoutLength: stdout.length }),
    [],
  );
  assert.equal(
    t.failure,
    "input command 'exit 3 # %%' (b.txt) could not be made on worker node1 (127.0.0.1:9000): " +
      "command failed with exit code 3",
  );
  assert.equal(w.cached.size, 0, "dropped from the books: it is made again next time");
});
