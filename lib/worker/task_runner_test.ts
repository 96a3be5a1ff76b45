import assert from "node:assert/strict";
import { TaskRunner } from "./task_runner.ts";
import type { Executor } from "./executor.ts";
import { WORK_QUEUE_RESULT_UNKNOWN } from "../constants.ts";
import type { TaskBlock } from "../wire/task_block.ts";
import { Workspace } from "./workspace.ts";

function spec(id: number, command: string, extra: Partial<TaskBlock> = {}): TaskBlock {
  return { id, command, env: [], inputs: [], outputs: [], request: { cores: 1 }, ...extra };
}

async function setup(cores = 2, executor?: Executor) {
  const dir = await Deno.makeTempDir();
  const ws = await Workspace.create(dir);
  let finished = 0;
  const started: number[] = [];
  const runner = new TaskRunner({
    workspace: ws,
    total: { cores, memory: 100, disk: 100, gpus: 0 },
    maxStdout: 1 << 20,
    onFinished: () => finished++,
    onStarted: (n) => started.push(n),
    baseEnv: { PATH: "/usr/bin:/bin" },
    executor,
  });
  const results = async (n: number) => {
    const out = [];
    while (out.length < n) {
      await new Promise((r) => setTimeout(r, 10));
      out.push(...runner.takeResults());
    }
    return out;
  };
  return {
    ws,
    runner,
    started,
    finished: () => finished,
    results,
    async [Symbol.asyncDispose]() {
      await runner.killAll();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("TaskRunner runs tasks that fit concurrently and queues the rest", async () => {
  await using t = await setup(2);
  const d = t.ws.root;
  // Each waits for the other and for the test's go-ahead.
  const wait = (me: string, other: string) =>
    `touch ${d}/${me}; i=0; while [ ! -e ${d}/${other} ] || [ ! -e ${d}/go ]; do ` +
    `i=$((i+1)); [ $i -gt 1000 ] && exit 9; sleep 0.01; done`;
  await t.runner.accept(spec(1, wait("a", "b")));
  await t.runner.accept(spec(2, wait("b", "a")));
  await t.runner.accept(spec(3, "echo third"));
  assert.equal(t.runner.running, 2);
  assert.equal(t.runner.waiting, 1);
  await Deno.writeTextFile(`${d}/go`, "");
  const rs = await t.results(3);
  assert.deepEqual(rs.map((r) => [r.id, r.status, r.exit]).sort(), [[1, 0, 0], [2, 0, 0], [
    3,
    0,
    0,
  ]]);
  assert.deepEqual(t.started.slice(0, 2), [1, 2]);
  assert.equal(t.started.length, 3);
  assert.equal(t.runner.size, 3); // known until killed
  await t.runner.kill(1);
  assert.equal(t.runner.size, 2);
});

Deno.test("TaskRunner forsakes a task bigger than the worker without running it", async () => {
  await using t = await setup(2);
  await t.runner.accept(spec(5, "touch ran", { request: { cores: 3 } }));
  assert.equal(t.finished(), 1);
  assert.deepEqual(t.runner.takeResults(), [
    { id: 5, status: 40, exit: 0, stdoutPath: "", stdoutLength: 0, usec: 0 },
  ]);
  assert.equal(t.runner.running, 0);
});

Deno.test("TaskRunner kill stops a running task and drops its result", async () => {
  await using t = await setup(1);
  await t.runner.accept(spec(1, "sleep 30"));
  await t.runner.accept(spec(2, "echo next"));
  assert.equal(t.runner.running, 1);
  await t.runner.kill(1);
  const [r] = await t.results(1);
  assert.equal(r.id, 2);
  assert.equal(await Deno.readTextFile(r.stdoutPath), "next\n");
  assert.equal(t.finished(), 1);
});

Deno.test("TaskRunner collects outputs and truncates large stdout", async () => {
  const dir = await Deno.makeTempDir();
  const ws = await Workspace.create(dir);
  const runner = new TaskRunner({
    workspace: ws,
    total: { cores: 1, memory: 1, disk: 1, gpus: 0 },
    maxStdout: 4,
    onFinished: () => {},
    baseEnv: { PATH: "/usr/bin:/bin" },
  });
  try {
    await runner.accept(
      spec(1, "echo out > o.txt; echo 123456789", {
        outputs: [{ cachedName: "c-o", remoteName: "o.txt", flags: 0 }],
      }),
    );
    let rs = runner.takeResults();
    while (rs.length === 0) {
      await new Promise((r) => setTimeout(r, 10));
      rs = runner.takeResults();
    }
    assert.equal(rs[0].status, 4);
    assert.equal(rs[0].stdoutLength, 4);
    assert.equal(await Deno.readTextFile(rs[0].stdoutPath), "1234");
    assert.equal(await Deno.readTextFile(`${ws.cacheDir}/c-o`), "out\n");
  } finally {
    await runner.killAll();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("TaskRunner refuse() finishes a task at once with the worker's explanation", async () => {
  await using t = await setup(1);
  await t.runner.refuse(spec(7, "echo never"), { status: 64, why: "input 'x' did not fit" });
  assert.equal(t.finished(), 1);
  const [r] = t.runner.takeResults();
  assert.equal(r.status, 64);
  assert.equal(r.usec, 0);
  assert.equal(new TextDecoder().decode(r.stdoutText), "wq-worker: input 'x' did not fit\n");
  assert.equal(r.stdoutLength, r.stdoutText!.length);
  assert.equal(t.runner.size, 1); // known until killed, like any finished task
  await t.runner.kill(7);
  assert.equal(t.runner.size, 0);
});

Deno.test("TaskRunner names the signal that killed a task's shell, and only that", async () => {
  await using t = await setup(4);
  await t.runner.accept(spec(1, "kill -KILL $$"));
  await t.runner.accept(spec(2, "kill -TERM $$"));
  await t.runner.accept(spec(3, "exit 9"));
  await t.runner.accept(spec(4, "sleep 30 & kill -KILL $!; wait $!"));
  const rs = (await t.results(4)).sort((a, b) => a.id - b.id);
  assert.deepEqual(rs.map((r) => [r.id, r.status, r.exit, r.signal]), [
    [1, 0, 9, "SIGKILL"],
    [2, 0, 15, "SIGTERM"],
    [3, 0, 9, undefined],
    [4, 0, 137, undefined], // a command the shell started: an exit code
  ]);
});

Deno.test("TaskRunner reports a task whose process could not be followed as failed, not lost", async () => {
  await using t = await setup(1, {
    start: () => ({
      pid: 1,
      done: Promise.reject(new Error("Cannot reap process 1: waitpid returned -1")),
      lingering: () => false,
      close() {},
      kill() {},
    }),
  });
  await t.runner.accept(spec(1, "true"));
  const rs = await t.results(1);
  assert.deepEqual(rs.map((r) => [r.id, r.status]), [[1, WORK_QUEUE_RESULT_UNKNOWN]]);
});
