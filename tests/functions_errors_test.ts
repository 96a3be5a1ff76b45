// Function calls that go wrong (docs/functions.md): bad libraries are refused
// at installLibrary() with the file named, a module that cannot be imported
// fails its calls without retries, a call of a library not installed is
// refused at submit, and a running call can be cancelled, also one that
// never returns.

import assert from "node:assert/strict";
import { FunctionCall, FunctionCallError, Task, WorkQueue } from "../mod.ts";
import { ROOT, startWorker, tempDir, until } from "./_harness.ts";

const FIXTURES = `${ROOT}/tests/fixtures/functions`;

Deno.test("installLibrary() names what is wrong with a library", async () => {
  await using dir = await tempDir();
  await using wq = new WorkQueue({ port: 0 });
  assert.throws(
    () => wq.installLibrary({ name: "x", module: `${dir.path}/none.ts` }),
    /Cannot install library 'x': its module '.*none\.ts' cannot be read/,
  );
  await Deno.writeTextFile(
    `${dir.path}/a.ts`,
    'import { b } from "./b.ts";\nexport const a = b;\n',
  );
  assert.throws(
    () => wq.installLibrary({ name: "x", module: `${dir.path}/a.ts` }),
    /Cannot install library 'x': imported file '.*\/b\.ts' cannot be read/,
  );
  assert.throws(() => wq.installLibrary({ name: "a b", module: `${dir.path}/a.ts` }), TypeError);
  assert.throws(
    () => wq.installLibrary({ name: "x", module: `${dir.path}/a.ts`, speed: 2 } as never),
    /unknown option 'speed'/,
  );
  assert.throws(() => wq.submit(new FunctionCall("nolib", "f")), /no library 'nolib' is installed/);
  await assert.rejects(wq.run(new FunctionCall("nolib", "f")), /no library 'nolib' is installed/);
});

Deno.test("a module that cannot be imported fails its calls at once, without retries", async () => {
  await using dir = await tempDir();
  await using wq = new WorkQueue({ port: 0 });
  wq.installLibrary({ name: "broken", module: `${FIXTURES}/broken.ts` });
  await using _w = startWorker(wq.port, {
    args: ["--single-shot", "--cores", "1", "-s", dir.path],
  });
  wq.installLibrary({ name: "exits", module: `${FIXTURES}/exits.ts` });
  for (let i = 0; i < 2; i++) {
    const call = new FunctionCall("broken", "never");
    await assert.rejects(wq.run(call), FunctionCallError);
    assert.equal(call.exitCode, 1);
    assert.equal(call.attempts, 0);
    assert.match(call.failure!, /^Error: Cannot load the library: broken on purpose/);
    const exits = new FunctionCall("exits", "never");
    await assert.rejects(wq.run(exits), FunctionCallError);
    assert.equal(exits.attempts, 0);
    assert.match(
      exits.failure!,
      /^Error: Cannot load the library: its process exited with 3 before its module was loaded/,
    );
  }
});

Deno.test("a running call can be cancelled; the library goes on with the next", async () => {
  await using dir = await tempDir();
  await using wq = new WorkQueue({ port: 0 });
  wq.installLibrary({ name: "probe", module: `${FIXTURES}/probe.ts`, slots: 2 });
  await using _w = startWorker(wq.port, {
    args: ["--single-shot", "--cores", "2", "-s", dir.path],
  });
  const slow = new FunctionCall("probe", "nap", 2000);
  const run = wq.run(slow);
  await until(() => slow.state === "running", "the call to run");
  assert.equal(wq.cancelById(slow.id), slow);
  await assert.rejects(run, /probe\.nap failed: .*cancelled/);
  assert.equal(slow.outcome, "cancelled");
  assert.equal(await wq.run(new FunctionCall("probe", "add", 1, 1)), 2);
});

Deno.test("a library whose every slot holds a call given up is started again", async () => {
  await using dir = await tempDir();
  await using wq = new WorkQueue({ port: 0 });
  wq.installLibrary({ name: "probe", module: `${FIXTURES}/probe.ts` }); // 1 slot
  await using _w = startWorker(wq.port, {
    args: ["--single-shot", "--cores", "2", "-s", dir.path],
  });
  assert.equal(await wq.run(new FunctionCall("probe", "loads")), 1);
  const stuck = new FunctionCall("probe", "spin");
  wq.submit(stuck);
  await until(() => stuck.state === "running", "the call to run");
  const next = wq.run(new FunctionCall("probe", "add", 2, 2)); // waits for the one slot
  assert.equal(wq.cancelById(stuck.id), stuck);
  assert.equal(await next, 4);
  assert.equal(await wq.run(new FunctionCall("probe", "loads")), 2, "a new process");
});

Deno.test("our worker started with --no-fast-path runs shell tasks but is never given a call", async () => {
  await using dir = await tempDir();
  await using wq = new WorkQueue({ port: 0 });
  wq.installLibrary({ name: "probe", module: `${FIXTURES}/probe.ts` });
  await using _w = startWorker(wq.port, {
    args: ["--single-shot", "--no-fast-path", "--cores", "1", "-s", dir.path],
  });
  const call = new FunctionCall("probe", "add", 1, 2);
  wq.submit(call);
  const shell = new Task("echo shell").specifyCores(1);
  assert.equal((await wq.run(shell)).output, "shell\n");
  assert.equal(call.state, "ready");
  assert.match(wq.explain(call.id), /none of the 1 connected worker\(s\) runs function calls/);
  assert.equal(wq.cancelById(call.id), call);
});
