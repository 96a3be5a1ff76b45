import assert from "node:assert/strict";
import { ForemanRunner, localTask, upstreamResult } from "./foreman_runner.ts";
import type { TaskBlock } from "../wire/task_block.ts";
import type { CompletedTask } from "../completed_task.ts";
import { WorkQueue } from "../manager/work_queue.ts";
import type { Workspace } from "../worker/workspace.ts";
import { FLAG_CACHE, FLAG_WATCH } from "../wire/protocol.ts";
import {
  WORK_QUEUE_RESULT_OUTPUT_MISSING,
  WORK_QUEUE_RESULT_SUCCESS,
  WORK_QUEUE_RESULT_UNKNOWN,
} from "../constants.ts";

const ws = { cachePath: (name: string) => `/fm/cache/${name}` };

function block(over: Partial<TaskBlock> = {}): TaskBlock {
  return { id: 4, command: "true", request: {}, env: [], inputs: [], outputs: [], ...over };
}

Deno.test("localTask() takes a block as CCTools' manager sends it: all four resources, dirs, env, category", () => {
  const t = localTask(
    block({
      command: "ls indir emptydir > out/list",
      category: "analysis",
      // CCTools' manager always sends cores, gpus, memory and disk (the task's box).
      request: { cores: 1, gpus: 0, memory: 500, disk: 1000 },
      wallTime: 60,
      env: [["FOO", "bar baz"], ["GONE", undefined]],
      inputs: [
        {
          kind: "file",
          cachedName: "file-0-ab-shared.txt",
          remoteName: "shared.txt",
          flags: FLAG_CACHE,
        },
        { kind: "file", cachedName: "file-4.0-in.txt", remoteName: "sub/in.txt", flags: 0 },
        // a directory tree is a cache entry too: the manager put it in the foreman's cache
        { kind: "file", cachedName: "file-4.1-indir", remoteName: "indir", flags: 0 },
        { kind: "dir", remoteName: "emptydir" },
      ],
      outputs: [
        { cachedName: "file-4.2-out", remoteName: "out", flags: 0 },
        { cachedName: "file-4.3-log", remoteName: "log", flags: FLAG_CACHE | FLAG_WATCH },
      ],
    }),
    ws,
  );
  assert.equal(t.command, "unset GONE; ls indir emptydir > out/list");
  assert.deepEqual(t.inputs, [
    { kind: "file", local: "/fm/cache/file-0-ab-shared.txt", remote: "shared.txt", cache: true },
    { kind: "file", local: "/fm/cache/file-4.0-in.txt", remote: "sub/in.txt", cache: false },
    { kind: "file", local: "/fm/cache/file-4.1-indir", remote: "indir", cache: false },
    { kind: "emptydir", remote: "emptydir" },
  ]);
  assert.deepEqual(t.outputs, [
    { local: "/fm/cache/file-4.2-out", remote: "out", cache: false },
    { local: "/fm/cache/file-4.3-log", remote: "log", cache: true, watch: true },
  ]);
  assert.deepEqual(t.resources, { cores: 1, gpus: 0, memory: 500, disk: 1000 });
  assert.equal(t.category, "analysis");
  // An unset (`env GONE` with no value) becomes `unset GONE;` before the command.
  assert.deepEqual([...t.environment], [["FOO", "bar baz"]]);
});

Deno.test("localTask() unsets what the last change to a name unsets, and only shell names", () => {
  const t = localTask(
    block({
      command: "env",
      env: [["A", undefined], ["A", "1"], ["B", "2"], ["B", undefined], ["C-D", undefined]],
    }),
    ws,
  );
  assert.equal(t.command, "unset B; env");
  assert.deepEqual([...t.environment], [["A", "1"], ["B", "2"]]);
});

Deno.test("localTask() leaves the default category and an empty request as they are", () => {
  const t = localTask(block({ category: "default" }), ws);
  assert.equal(t.category, "default");
  assert.deepEqual(t.resources, {});
});

Deno.test("localTask() refuses what our queue refuses, naming it", () => {
  const bad = { kind: "file" as const, cachedName: "c", remoteName: "../x", flags: 0 };
  assert.throws(() => localTask(block({ inputs: [bad] }), ws), /remote name '\.\.\/x' is unsafe/);
});

function completed(over: Record<string, unknown>): CompletedTask {
  return {
    result: WORK_QUEUE_RESULT_SUCCESS,
    returnStatus: 0,
    output: "",
    signal: null,
    measured: null,
    executionTime: 1500,
    ...over,
  } as unknown as CompletedTask;
}

Deno.test("upstreamResult() carries status, exit code, stdout (clipped) and time", () => {
  const r = upstreamResult(9, completed({ returnStatus: 3, output: "hello\n" }), 3);
  assert.deepEqual({ ...r, stdoutText: new TextDecoder().decode(r.stdoutText) }, {
    id: 9,
    status: WORK_QUEUE_RESULT_SUCCESS,
    exit: 3,
    usec: 1500,
    stdoutPath: "",
    stdoutLength: 3,
    stdoutText: "hel",
  });
});

Deno.test("upstreamResult() passes a signal on, and OUTPUT_MISSING as it came", () => {
  const killed = upstreamResult(5, completed({ returnStatus: 9, signal: "SIGKILL" }), 100);
  assert.equal(killed.exit, 9);
  assert.equal(killed.signal, "SIGKILL");
  const missing = upstreamResult(6, completed({ result: WORK_QUEUE_RESULT_OUTPUT_MISSING }), 100);
  assert.equal(missing.status, WORK_QUEUE_RESULT_OUTPUT_MISSING);
});

Deno.test("upstreamResult() drops a wall-clock-only measurement (the result line has it)", () => {
  const wall = upstreamResult(1, completed({ measured: { method: "wall", wallSeconds: 1 } }), 9);
  assert.equal(wall.measured, undefined);
  const measured = { method: "proc", wallSeconds: 1, cpuSeconds: 0.5 };
  assert.deepEqual(upstreamResult(1, completed({ measured }), 9).measured, measured);
});

Deno.test("ForemanRunner answers a block its queue cannot take with a result that says why", async () => {
  let finished = 0;
  const runner = new ForemanRunner({
    queue: {} as WorkQueue,
    workspace: ws as Workspace,
    maxStdout: 1000,
    hooks: { onFinished: () => finished++ },
  });
  await runner.accept(block({
    id: 12,
    inputs: [{ kind: "file", cachedName: "c", remoteName: "/etc/passwd", flags: 0 }],
  }));
  assert.equal(finished, 1);
  const [r] = runner.takeResults();
  assert.equal(r.id, 12);
  assert.equal(r.status, WORK_QUEUE_RESULT_UNKNOWN);
  assert.match(
    new TextDecoder().decode(r.stdoutText),
    /^wq-worker: the foreman cannot queue task 12: .*'\/etc\/passwd'.*absolute/,
  );
  await runner.kill(12);
  assert.equal(runner.size, 0);
});

Deno.test("localTask() passes the task's wall time and end time on to the worker that runs it", () => {
  const t = localTask(block({ id: 8, command: "sleep 100", wallTime: 30, endTime: 2e9 }), ws);
  assert.equal(t.runningTimeMax, 30);
  assert.equal(t.endTime, 2e12);
  const none = localTask(block({ id: 9, command: "true" }), ws);
  assert.deepEqual([none.runningTimeMax, none.endTime], [0, 0]);
});

Deno.test("ForemanRunner.refuse() cancels a task of the same id in its queue first: one result, the refusal", async () => {
  await using queue = new WorkQueue({ port: 0, hostname: "127.0.0.1" });
  let finished = 0;
  const runner = new ForemanRunner({
    queue,
    workspace: ws as Workspace,
    maxStdout: 1000,
    hooks: { onFinished: () => finished++ },
  });
  await runner.accept(block({ id: 5, command: "sleep 100" }));
  assert.equal(queue.stats.tasksWaiting, 1);
  await runner.refuse(block({ id: 5 }), { status: 64, why: "the disk is full" });
  assert.equal(queue.stats.tasksWaiting, 0, "cancelled in the foreman's queue");
  assert.equal(finished, 1);
  const results = runner.takeResults();
  assert.deepEqual(results.map((r) => [r.id, r.status]), [[5, 64]]);
  assert.equal(runner.running, 0);
  await runner.killAll();
});
